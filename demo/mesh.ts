// The page's direct links to other pages, beside the node's WebSocket: the tabs of this
// browser profile over BroadcastChannel (they sync with the node down), and pages of other
// profiles or browsers over WebRTC data channels, signalled through the node's /signal relay
// (the blocks then go page to page; the node stays the fallback).
import { joinRtc, joinTabs, loopbackCandidate } from '../src/net/index.js'
import type { MeshPeer, Plug, RtcMesh, TabMesh } from '../src/net/index.js'

/** Options of the page's meshes, from its URL query (`?rtc=off`, `?ice=loopback`). */
export interface MeshOptions {
  /** Join the WebRTC room (default true; `?rtc=off`). */
  rtc: boolean
  /** Keep ICE on 127.0.0.1/::1 (`?ice=loopback`: tests, which must stay on loopback). */
  loopbackOnly: boolean
}

/** The meshes of one tab. */
export interface Meshes {
  /** Links open now, tabs first. */
  peers: () => MeshPeer[]
  /** Calls `cb` when a link opens or closes (with its error code, if any). */
  onChange: (cb: (peer: MeshPeer, closed: string | null | undefined) => void) => void
  /** Leaves both meshes. */
  close: () => void
}

/** Reads the mesh options from a URL query string. */
export function meshOptions (search: string): MeshOptions {
  const q = new URLSearchParams(search)
  return { rtc: q.get('rtc') !== 'off', loopbackOnly: q.get('ice') === 'loopback' }
}

/**
 * Joins the tab mesh `name` and, unless disabled, the WebRTC room `name` through
 * `signalUrl`; the WebRTC room is joined again with backoff when the relay goes away (the
 * node stopped), open data channels staying up meanwhile.
 */
export function joinMeshes (name: string, spawn: () => Plug, signalUrl: string, opts: MeshOptions): Meshes {
  const listeners = new Set<(peer: MeshPeer, closed: string | null | undefined) => void>()
  const tell = (peer: MeshPeer, closed?: Error | null): void => {
    const code = closed === undefined ? undefined : closed === null ? null : ((closed as { code?: string }).code ?? closed.message)
    for (const l of listeners) l(peer, code)
  }
  const watch = (mesh: TabMesh | RtcMesh): void => {
    mesh.on('peer', p => tell(p))
    mesh.on('leave', (p, err) => tell(p, err))
  }
  let tabs: TabMesh | null = null
  try {
    tabs = joinTabs(name, () => spawn())
    watch(tabs)
  } catch { /* no BroadcastChannel: the node links the tabs */ }
  const rtcs: RtcMesh[] = []
  let stopped = false
  let attempt = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  const join = (): void => {
    if (stopped || typeof RTCPeerConnection === 'undefined') return
    let mesh: RtcMesh
    try {
      mesh = joinRtc(signalUrl, () => spawn(), { room: name, ...(opts.loopbackOnly ? { candidateFilter: loopbackCandidate } : {}) })
    } catch { return }
    watch(mesh)
    rtcs.push(mesh)
    void mesh.ready.then(() => { attempt = 0 }, () => {})
    void mesh.signalClosed.then(() => {
      if (stopped) return
      // the relay is gone: forget this mesh once its links are gone, join again later
      if (mesh.peers.length === 0) { mesh.close(); rtcs.splice(rtcs.indexOf(mesh), 1) }
      timer = setTimeout(join, Math.min(8000, 250 * 2 ** attempt++) * (0.5 + Math.random() / 2))
    })
  }
  if (opts.rtc) join()
  return {
    peers: () => [...(tabs?.peers ?? []), ...rtcs.flatMap(m => m.peers)],
    onChange: cb => { listeners.add(cb) },
    close: () => {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
      tabs?.close()
      for (const m of rtcs) m.close()
    }
  }
}
