// Runs in headless Chromium (test/net/mesh-browser.test.ts): a kernel in the page joins the tab
// mesh or the WebRTC mesh, and exposes a few controls on globalThis.__mesh for the test.
import { joinRtc, joinTabs, loopbackCandidate } from '../../src/net/index.js'
import type { MeshPeer } from '../../src/net/index.js'
import { Counter } from '../kernel/helpers.js'

/** What the test passes (in the page URL's hash). */
export interface Input {
  mode: 'tabs' | 'rtc'
  /** The tab mesh's name or the WebRTC room. */
  name: string
  /** The relay (rtc). */
  signalUrl?: string
}

/** A link's counters as the page reports them. */
export interface PeerStats {
  id: string
  transport: string
  since: number
  bytesIn: number
  bytesOut: number
  messagesIn: number
  messagesOut: number
}

/** The controls the test calls through `page.evaluate`. */
export interface Controls {
  /** Creates a block raising this author's number to `n`. */
  bump (n: number): Promise<void>
  /** Resolves when the sum over all authors is `n`. */
  total (n: number): Promise<number>
  /** Resolves with the links once there are `n`. */
  peers (n: number): Promise<PeerStats[]>
  /** Resolves once exactly `n` links are open (after peers left, say). */
  count (n: number): Promise<number>
  /** The kernel's connected peers (sync handshakes done). */
  connections (): number
  /** ICE candidates this page saw (local and remote), and those it kept. */
  candidates (): { seen: string[], kept: string[] }
}

/** What `run` returns. */
export interface Started { id: string | null, hasBuffer: string }

const stats = (p: MeshPeer): PeerStats => ({
  id: p.id, transport: p.transport, since: p.since, bytesIn: p.bytesIn, bytesOut: p.bytesOut, messagesIn: p.messagesIn, messagesOut: p.messagesOut
})

/** Starts the page's kernel and mesh. */
export async function run (input: Input): Promise<Started> {
  const kernel = new Counter()
  await kernel.boot()
  const seen: string[] = []
  const kept: string[] = []
  const mesh = input.mode === 'tabs'
    ? joinTabs(input.name, () => kernel.spawnWire())
    : joinRtc(input.signalUrl as string, () => kernel.spawnWire(), {
      room: input.name,
      iceServers: [],
      // ICE stays on loopback: every other candidate is dropped both ways
      candidateFilter: c => {
        seen.push(c)
        const ok = loopbackCandidate(c)
        if (ok) kept.push(c)
        return ok
      }
    })
  if ('ready' in mesh) await mesh.ready
  let connected = 0
  kernel.$connections()(list => { connected = list.length })
  const controls: Controls = {
    async bump (n) { await kernel.bump(n) },
    total: n => new Promise(resolve => {
      const off = kernel.store.on('x', () => {
        if (kernel.total !== n) return
        queueMicrotask(() => off())
        resolve(kernel.total)
      })
    }),
    peers: n => new Promise(resolve => {
      const check = (): boolean => {
        if (mesh.peers.length < n) return false
        resolve(mesh.peers.map(stats))
        return true
      }
      if (check()) return
      const off = mesh.on('peer', () => { if (check()) off() })
    }),
    count: n => new Promise(resolve => {
      const offs: Array<() => void> = []
      const check = (): boolean => {
        if (mesh.peers.length !== n) return false
        for (const off of offs) off()
        resolve(n)
        return true
      }
      if (check()) return
      offs.push(mesh.on('peer', check), mesh.on('leave', () => { check() }))
    }),
    connections: () => connected,
    candidates: () => ({ seen: [...seen], kept: [...kept] })
  }
  ;(globalThis as unknown as { __mesh: Controls }).__mesh = controls
  return { id: mesh.id, hasBuffer: typeof (globalThis as { Buffer?: unknown }).Buffer }
}
