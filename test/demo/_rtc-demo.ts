// The WebRTC scenario of test/demo/rtc.test.ts: two users of the demo page (two browser
// contexts, ICE on loopback only) link over a WebRTC data channel signalled through the node's
// /signal; then the node stops and a todo still goes page to page. Run as a script (in a
// loopback-only network namespace) it prints one line `{"outcome": ...}`.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { CliProcess } from '../cli/_helpers.js'
import { launchChromium, within } from '../helpers/pages.js'
import type { Link } from '../../demo/peer.js'
import { freePort } from './_page.js'

/** What the scenario observed. */
export interface RtcDemoOutcome {
  /** Ran inside the loopback-only namespace. */
  isolated: boolean
  /** Each page's links once the data channel opened. */
  links: Link[][]
  /** The todo written with the node stopped, as the other page saw it. */
  seenOffline: boolean
  /** Each page's WebRTC bytes in after that todo. */
  rtcBytesIn: number[]
}

type G = typeof globalThis & { __demo: { $links: (cb: (l: Link[]) => void) => () => void, kernel: { addTodo: (t: string) => Promise<string>, list: () => Array<{ title: string }> } } }

/** Resolves with the page's links once they are in state `when`. */
function linksWhen (page: Page, when: 'rtc-open' | 'node-gone' | 'now'): Promise<Link[]> {
  // (no named functions in here: tsx would wrap them in a helper the page does not have)
  return page.evaluate(w => new Promise<Link[]>(resolve => {
    const stop = (globalThis as G).__demo.$links(l => {
      if (w !== 'now' && (w === 'rtc-open'
        ? !l.some(x => x.transport === 'webrtc' && x.state === 'open')
        : l.some(x => x.transport === 'websocket' && x.state === 'open'))) return
      queueMicrotask(() => stop())
      resolve(l)
    })
  }), when)
}

/** Runs the scenario; everything it starts is stopped before it returns. */
export async function rtcDemo (): Promise<RtcDemoOutcome> {
  const data = mkdtempSync(join(tmpdir(), 'demo-rtc-'))
  const port = await freePort()
  const node = new CliProcess(['node', '--offline', '--data', data, '--port', '0', '--ws-port=-1', '--http-port', String(port)], 'bin')
  const browser = await launchChromium(['--allow-loopback-in-peer-connection'])
  try {
    const [, url] = await within(node.line(/^open (http:\/\/127\.0\.0\.1:\d+\/)$/), 30_000, 'node listening')
    const pages: Page[] = []
    for (let i = 0; i < 2; i++) {
      const context = await browser.newContext()
      await context.grantPermissions(['microphone']) // Chromium then gathers 127.0.0.1 host candidates, no mDNS names
      const page = await context.newPage()
      await page.goto(`${url as string}?ice=loopback`)
      await page.getByLabel('New todo').waitFor()
      pages.push(page)
    }
    const [alice, bob] = pages as [Page, Page]
    const links = await within(Promise.all(pages.map(p => linksWhen(p, 'rtc-open'))), 40_000, 'data channels open')
    await node.stop()
    await within(Promise.all(pages.map(p => linksWhen(p, 'node-gone'))), 20_000, 'node gone')
    await alice.evaluate(() => (globalThis as G).__demo.kernel.addTodo('over webrtc'))
    await within(bob.getByRole('checkbox', { name: 'over webrtc', exact: true }).waitFor(), 20_000, 'todo over the data channel')
    const after = await Promise.all(pages.map(p => linksWhen(p, 'now')))
    return {
      isolated: process.env.PICOSTACK_NETNS === '1',
      links,
      seenOffline: true,
      rtcBytesIn: after.map(ls => ls.filter(l => l.transport === 'webrtc' && l.state === 'open').reduce((n, l) => n + l.bytesIn, 0))
    }
  } finally {
    await browser.close()
    await node.stop()
    rmSync(data, { recursive: true, force: true })
  }
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\/test\//, '/test/'))) {
  rtcDemo().then(
    outcome => { process.stdout.write(JSON.stringify({ outcome }) + '\n'); process.exit(0) },
    (err: Error) => { process.stderr.write(String(err.stack ?? err) + '\n'); process.exit(1) }
  )
}
