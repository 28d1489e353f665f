// The stage of the adversary suite: a `picostack node` child process (the CLI's kernel on
// classic-level, TCP and WebSocket listeners on 127.0.0.1), an honest peer syncing with it over
// TCP from this process, and attackers that connect over real sockets.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import type { TestContext } from 'node:test'
import { WebSocket } from 'ws'
import { NodeKernel } from '../../src/cli/demo.js'
import type { NotesState } from '../../src/cli/demo.js'
import { fromStream, fromWebSocket, streamWire } from '../../src/net/index.js'
import type { Plug, WebSocketLike } from '../../src/net/index.js'
import { get } from '../../src/nuro/index.js'
import { nodes } from '../cli/_helpers.js'
import type { CliProcess } from '../cli/_helpers.js'
import { RawPeer } from '../kernel/raw.js'

/** A node under attack with an honest peer beside it. */
export interface Scene {
  node: CliProcess
  tcpPort: number
  wsPort: number
  /** The node's user key (hex). */
  nodePk: string
  /** The honest peer, synced with the node over TCP. */
  honest: NodeKernel
  /** Notes seen by the honest peer so far. */
  notes: () => number
  /** Checks the honest peer is still connected and a note each way still syncs. */
  intact: () => Promise<void>
  /** Resident memory of the node process, bytes (Linux /proc). */
  rss: () => number
  /** A raw TCP socket to the node from `localAddress` (default 127.0.0.1). */
  socket: (localAddress?: string) => Promise<net.Socket>
  /** A protocol-speaking attacker over TCP (not greeted yet). */
  tcpPeer: (localAddress?: string) => Promise<RawPeer>
  /** A protocol-speaking attacker over WebSocket (not greeted yet). */
  wsPeer: () => Promise<RawPeer>
}

/** Resolves when the node dropped the socket (read on, so its end is seen). */
export function closed (socket: net.Socket): Promise<void> {
  if (socket.destroyed) return Promise.resolve()
  socket.resume()
  socket.on('error', () => {})
  return new Promise(resolve => socket.once('close', () => resolve()))
}

/** Resolves with the `bye` code the node sent on `peer` before closing it. */
export async function byeCode (peer: RawPeer): Promise<number> {
  const bye = await peer.next(0x05)
  return bye[1] as number
}

/** Resolves when `pred` holds for the honest peer's notes state. */
function notesUntil (k: NodeKernel, pred: (s: NotesState) => boolean): Promise<void> {
  return new Promise(resolve => {
    let done = false
    const off = k.store.on('notes', v => {
      if (done || v === undefined || !pred(v as NotesState)) return
      done = true
      queueMicrotask(() => off())
      resolve()
    })
  })
}

/**
 * Starts the node and the honest peer; both stop after the test.
 *
 * @param t - the test
 * @param args - extra `picostack node` arguments
 */
export async function scene (t: TestContext, args: string[] = []): Promise<Scene> {
  const { start, dir } = nodes(t)
  const node = start(['--offline', '--port', '0', '--ws-port', '0', '--data', dir(), ...args])
  const [, tcp, ws] = await node.line(/^listening tcp=127\.0\.0\.1:(\d+) ws=127\.0\.0\.1:(\d+)/)
  const [, nodePk] = await node.line(/^identity pk=([0-9a-f]{64}) /)
  const tcpPort = Number(tcp)
  const wsPort = Number(ws)
  const honest = new NodeKernel()
  let lost = ''
  honest.ondisconnect = (_peer, error) => { lost = `${error?.name ?? ''} ${String(error?.message ?? 'closed politely')}` }
  await honest.boot()
  const sockets = new Set<net.Socket>()
  t.after(async () => {
    for (const s of sockets) s.destroy()
    await honest.halt()
  })
  const socket = (localAddress = '127.0.0.1'): Promise<net.Socket> => new Promise((resolve, reject) => {
    const s = net.connect({ port: tcpPort, host: '127.0.0.1', localAddress })
    sockets.add(s)
    s.once('connect', () => resolve(s))
    s.once('error', reject)
  })
  // The honest peer dials from its own loopback address (per-address caps hit attackers only).
  const link = await socket('127.0.0.9')
  streamWire(honest.spawnWire(), link)
  await new Promise<void>(resolve => {
    const off = honest.$connections()(list => { if (list.length === 1) { queueMicrotask(() => off()); resolve() } })
  })
  let round = 0
  const notes = (): number => (get(honest.store.$('notes')) as NotesState | undefined)?.count ?? 0
  const intact = async (): Promise<void> => {
    round++
    assert.equal(get(honest.$connections())?.length, 1, `the honest peer is still connected (lost: ${lost})`)
    const before = notes()
    // honest -> node
    const from = node.lines.length
    await honest.createNote(`honest ${round}`)
    await node.line(new RegExp(`^note count=\\d+ author=[0-9a-f]+ text="honest ${round}"$`), from)
    // node -> honest
    node.child.stdin.write(`node ${round}\n`)
    await notesUntil(honest, s => s.last?.text === `node ${round}`)
    assert.ok(notes() >= before + 2)
  }
  const rss = (): number => {
    const status = readFileSync(`/proc/${node.child.pid as number}/status`, 'utf8')
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
    return kb * 1024
  }
  const tcpPeer = async (localAddress?: string): Promise<RawPeer> => {
    const sock = await socket(localAddress)
    const peer = await RawPeer.open(fromStream(sock))
    peer.socket = sock
    return peer
  }
  const wsPeer = async (): Promise<RawPeer> => {
    const w = new WebSocket(`ws://127.0.0.1:${wsPort}`)
    t.after(() => w.terminate())
    // Attached while connecting: the node's hello may come in the same read as the upgrade.
    const plug: Plug = fromWebSocket(w as unknown as WebSocketLike)
    return RawPeer.open(plug)
  }
  await intact()
  return { node, tcpPort, wsPort, nodePk: nodePk as string, honest, notes, intact, rss, socket, tcpPeer, wsPeer }
}
