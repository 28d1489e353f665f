// The WebRTC scenario of test/net/mesh-browser.test.ts: `picostack node` (offline, on
// 127.0.0.1) only signals; two browser contexts (two users) join its relay's room, connect over
// a data channel with ICE on loopback only, and sync blocks page to page; then the wire
// conformance suite runs in a page over the tab mesh and rtcWire. Run as a script (in a
// loopback-only network namespace) it prints one line `{"outcome": ...}`.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runNode } from '../../src/cli/node.js'
import { launchChromium, servePage, startPage, within } from '../helpers/pages.js'
import type { Controls, Input, PeerStats, Started } from './mesh.browser.entry.js'
import type { Outcome } from '../helpers/browser-shims/node-test.js'

/** What the scenario observed. */
export interface RtcOutcome {
  /** Ran inside the loopback-only namespace. */
  isolated: boolean
  /** Each page's sum after the sync. */
  totals: number[]
  /** Each page's links with their counters. */
  links: PeerStats[][]
  /** Each page's ICE candidates: all it saw, those it kept. */
  candidates: Array<{ seen: string[], kept: string[] }>
  /** Pages that joined the relay's room (got an id). */
  relayed: number
  /** The most sync peers the node had at once. */
  nodePeers: number
  /** Chains the node holds at the end (blocks it received). */
  nodeChains: number
  /** Links of the first page after the second page closed. */
  afterLeave: number
  /** The wire conformance suite in one page over a real BroadcastChannel and a real data channel. */
  conformance: Outcome[]
}

type G = typeof globalThis & { __mesh: Controls }

/** Runs the scenario; everything it starts is stopped before it returns. */
export async function rtcScenario (): Promise<RtcOutcome> {
  const data = mkdtempSync(join(tmpdir(), 'wires-rtc-'))
  const stop = new AbortController()
  const lines: string[] = []
  let onLine: (() => void) | null = null
  const node = runNode(['--data', data, '--offline', '--host', '127.0.0.1', '--port', '0', '--ws-port', '0'], {
    out: line => { lines.push(line); onLine?.() },
    err: line => { lines.push(line); onLine?.() },
    signal: stop.signal
  })
  const site = await servePage(new URL('./mesh.browser.entry.ts', import.meta.url))
  const suite = await servePage(new URL('./mesh-conformance.browser.entry.ts', import.meta.url), true)
  const browser = await launchChromium(['--allow-loopback-in-peer-connection'])
  try {
    const listening = await within(new Promise<string>(resolve => {
      const check = (): void => { const l = lines.find(x => x.startsWith('listening ')); if (l !== undefined) resolve(l) }
      onLine = check
      check()
    }), 30_000, 'node listening')
    const ws = /ws=(\S+)/.exec(listening)?.[1] as string
    const input: Input = { mode: 'rtc', name: 'rtc-test', signalUrl: `ws://${ws}/signal` }
    const pages = []
    for (let i = 0; i < 2; i++) {
      const context = await browser.newContext()
      await context.grantPermissions(['microphone']) // Chromium then gathers real host candidates (127.0.0.1), no mDNS names
      pages.push(await context.newPage())
    }
    const started = await Promise.all(pages.map(p => startPage<Started>(p, site.url, input)))
    const [one, two] = pages as [typeof pages[0], typeof pages[0]]
    await within(Promise.all(pages.map(p => p.evaluate(() => (globalThis as G).__mesh.peers(1)))), 30_000, 'data channels open')
    await within(one.evaluate(() => (globalThis as G).__mesh.bump(4)), 20_000, 'bump one')
    await within(two.evaluate(() => (globalThis as G).__mesh.bump(5)), 20_000, 'bump two')
    const totals = await within(Promise.all(pages.map(p => p.evaluate(() => (globalThis as G).__mesh.total(9)))), 30_000, 'both pages see both blocks')
    const links = await Promise.all(pages.map(p => p.evaluate(() => (globalThis as G).__mesh.peers(1))))
    const candidates = await Promise.all(pages.map(p => p.evaluate(() => (globalThis as G).__mesh.candidates())))
    // the other user closing the page: the data channel closes, the link leaves
    await two.close()
    const afterLeave = await within(one.evaluate(() => (globalThis as G).__mesh.count(0)), 60_000, 'the closed page left')
    const tester = await browser.newContext()
    await tester.grantPermissions(['microphone'])
    const conformance = await startPage<Outcome[]>(await tester.newPage(), suite.url, null, 120_000)
    const peerCounts = lines.filter(l => l.startsWith('peers ')).map(l => Number(/count=(\d+)/.exec(l)?.[1]))
    const chains = lines.filter(l => l.startsWith('chains ')).map(l => Number(/count=(\d+)/.exec(l)?.[1]))
    return {
      isolated: process.env.PICOSTACK_NETNS === '1',
      totals,
      links,
      candidates,
      relayed: started.filter(s => s.id !== null).length,
      nodePeers: Math.max(0, ...peerCounts),
      nodeChains: chains.at(-1) ?? 0,
      afterLeave,
      conformance
    }
  } finally {
    await browser.close()
    await site.close()
    await suite.close()
    stop.abort()
    await node
    rmSync(data, { recursive: true, force: true })
  }
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\/test\//, '/test/'))) {
  rtcScenario().then(
    outcome => { process.stdout.write(JSON.stringify({ outcome }) + '\n'); process.exit(0) },
    (err: Error) => { process.stderr.write(String(err.stack ?? err) + '\n'); process.exit(1) }
  )
}
