// Runs in headless Chromium (test/net/_rtc-scenario.ts): the wire conformance suite, with
// node:test/node:assert replaced by test/helpers/browser-shims, over the browser transports in
// one page: two tab meshes on a real BroadcastChannel, and rtcWire over a real data channel
// between two peer connections of the page (ICE candidates kept on loopback).
import { joinTabs, loopbackCandidate, picoWire, rtcWire } from '../../src/net/index.js'
import type { BroadcastChannelClass, PeerConnectionClass, Plug, SignalWebSocketClass, TabMesh } from '../../src/net/index.js'
import { runCollected, type Outcome } from '../helpers/browser-shims/node-test.js'
import { wireConformance } from './wire-conformance.js'

// the browser's own classes fit the injectable interfaces (a type check only)
export const classes: [PeerConnectionClass, SignalWebSocketClass, BroadcastChannelClass] = [RTCPeerConnection, WebSocket, BroadcastChannel]

let n = 0

/** Two tab meshes of this page, linked; their links' application ends. */
async function tabPair (): Promise<{ a: Plug, b: Plug, teardown: () => Promise<void> }> {
  const name = `conformance-${++n}`
  const apps: Plug[][] = [[], []]
  const linked = (mesh: TabMesh): Promise<void> => new Promise(resolve => { const off = mesh.on('peer', () => { off(); resolve() }) })
  const meshes = apps.map(list => joinTabs(name, () => { const [app, loose] = picoWire(); list.push(app); return loose }))
  await Promise.all(meshes.map(linked))
  return { a: apps[0]?.[0] as Plug, b: apps[1]?.[0] as Plug, teardown: async () => { for (const m of meshes) m.close() } }
}

const loopbackOnly = (sdp: string): string =>
  sdp.split('\r\n').filter(l => !l.startsWith('a=candidate:') || loopbackCandidate(l.slice(2))).join('\r\n')

/** Two peer connections of this page joined by a negotiated data channel, each end on rtcWire. */
async function rtcPair (): Promise<{ a: Plug, b: Plug, teardown: () => Promise<void> }> {
  const one = new RTCPeerConnection({ iceServers: [] })
  const two = new RTCPeerConnection({ iceServers: [] })
  const trickle = (to: RTCPeerConnection) => (e: RTCPeerConnectionIceEvent): void => {
    if (e.candidate !== null && loopbackCandidate(e.candidate.candidate)) to.addIceCandidate(e.candidate).catch(() => {})
  }
  one.onicecandidate = trickle(two)
  two.onicecandidate = trickle(one)
  const c1 = one.createDataChannel('conformance', { negotiated: true, id: 0 })
  const c2 = two.createDataChannel('conformance', { negotiated: true, id: 0 })
  const offer = await one.createOffer()
  await one.setLocalDescription(offer)
  await two.setRemoteDescription({ type: 'offer', sdp: loopbackOnly(offer.sdp ?? '') })
  const answer = await two.createAnswer()
  await two.setLocalDescription(answer)
  await one.setRemoteDescription({ type: 'answer', sdp: loopbackOnly(answer.sdp ?? '') })
  const [a, la] = picoWire()
  const [b, lb] = picoWire()
  rtcWire(la, c1)
  rtcWire(lb, c2)
  return { a, b, teardown: async () => { one.close(); two.close() } }
}

/** Runs both suites; the outcome of every check. */
export async function run (): Promise<Outcome[]> {
  wireConformance('tab mesh (Chromium BroadcastChannel)', tabPair)
  wireConformance('rtcWire (Chromium data channel, loopback)', rtcPair)
  return await runCollected()
}
