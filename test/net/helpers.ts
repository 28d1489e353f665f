// Test helpers that own their teardown: loopback TCP and WebSocket servers, a chunk-scrambling
// in-process stream pair.
import { once } from 'node:events'
import net from 'node:net'
import { Duplex } from 'node:stream'
import { WebSocket, WebSocketServer } from 'ws'
import { fromStream, fromWebSocket } from '../../src/net/index.js'
import type { Plug, TransportOptions } from '../../src/net/index.js'
import type { WirePair } from './wire-conformance.js'
import { seededRandom } from '../helpers/seed.js'

export interface TcpPair {
  client: net.Socket
  server: net.Socket
  teardown (): Promise<void>
}

/** A connected pair of TCP sockets on 127.0.0.1. */
export async function tcpPair (): Promise<TcpPair> {
  const srv = net.createServer()
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const { port } = srv.address() as net.AddressInfo
  const accepted = once(srv, 'connection')
  const client = net.connect(port, '127.0.0.1')
  const [server] = await accepted as [net.Socket]
  await once(client, 'connect')
  return {
    client,
    server,
    async teardown () {
      client.destroy()
      server.destroy()
      await new Promise<void>(resolve => srv.close(() => resolve()))
    }
  }
}

export async function tcpWires (options?: TransportOptions): Promise<WirePair> {
  const { client, server, teardown } = await tcpPair()
  return { a: fromStream(client, options), b: fromStream(server, options), teardown }
}

export interface WsPair {
  client: WebSocket
  server: WebSocket
  teardown (): Promise<void>
}

/** A connected pair of WebSockets on 127.0.0.1 (`ws` package). */
export async function wsPair (): Promise<WsPair> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await once(wss, 'listening')
  const { port } = wss.address() as net.AddressInfo
  const accepted = once(wss, 'connection')
  const client = new WebSocket(`ws://127.0.0.1:${port}`)
  const [server] = await accepted as [WebSocket]
  if (client.readyState !== WebSocket.OPEN) await once(client, 'open')
  return {
    client,
    server,
    async teardown () {
      client.terminate()
      server.terminate()
      await new Promise<void>(resolve => wss.close(() => resolve()))
    }
  }
}

export async function wsWires (options?: TransportOptions): Promise<WirePair> {
  const { client, server, teardown } = await wsPair()
  return { a: fromWebSocket(client, options), b: fromWebSocket(server, options), teardown }
}

/**
 * Two in-process Duplex streams joined so that every write reaches the other side cut into
 * pieces of random size (1..maxPiece bytes) on later ticks: framing must not depend on chunks.
 * The sizes come from the run's seed (test/helpers/seed.ts) unless `random` is given.
 */
export function scrambledStreams (maxPiece: number, random: () => number = seededRandom(maxPiece)): [Duplex, Duplex] {
  const make = (peer: () => Duplex): Duplex => new Duplex({
    read () {},
    write (chunk: Uint8Array, _enc, cb) {
      let i = 0
      while (i < chunk.byteLength) {
        const n = 1 + Math.floor(random() * maxPiece)
        const piece = chunk.subarray(i, i + n)
        i += n
        setImmediate(() => { if (!peer().destroyed) peer().push(piece) })
      }
      cb()
    },
    final (cb) { setImmediate(() => { if (!peer().destroyed) peer().push(null) }); cb() },
    destroy (err, cb) { setImmediate(() => { if (!peer().destroyed) peer().destroy() }); cb(err) }
  })
  const x: Duplex = make(() => y)
  const y: Duplex = make(() => x)
  return [x, y]
}

export const plugsOf = (pair: WirePair): [Plug, Plug] => [pair.a, pair.b]

/**
 * Connects to a loopback listener from `localAddress`: 'admitted' once the server sends
 * something, 'refused' when the connection closes first.
 */
export async function knock (port: number, localAddress: string): Promise<{ result: 'admitted' | 'refused', socket: net.Socket }> {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress })
  socket.on('error', () => {})
  const result = await new Promise<'admitted' | 'refused'>(resolve => {
    socket.once('data', () => resolve('admitted'))
    socket.once('close', () => resolve('refused'))
  })
  return { result, socket }
}
