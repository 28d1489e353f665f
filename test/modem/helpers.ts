import { duplexPair } from 'node:stream'
import type { Duplex } from 'node:stream'
import type { TestContext } from 'node:test'
import Hyperswarm from 'hyperswarm'
import createTestnet from '@hyperswarm/testnet'
import type { Testnet } from '@hyperswarm/testnet'
import { Hub } from '../../src/net/index.js'
import type { Plug } from '../../src/net/index.js'
import { Modem56 } from '../../src/modem/index.js'
import type { ChannelInfo, ModemOptions, SwarmDiscovery, SwarmLike, SwarmPeerInfo, SwarmSocket } from '../../src/modem/index.js'

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
export const text = (b: Uint8Array): string => new TextDecoder().decode(b)

/**
 * A net Hub that answers every question with `<name>:<question>` and lets a test await the
 * number of its open nodes (one per peer channel) without sleeping.
 */
export class Endpoint {
  readonly name: string
  readonly hub: Hub
  readonly infos: ChannelInfo[] = []
  readonly #waiters: Array<() => void> = []

  constructor (name: string) {
    this.name = name
    this.hub = new Hub({
      onmessage: async (msg, reply) => { await reply?.(utf8(`${name}:${text(msg)}`)) },
      onclose: () => this.#changed()
    })
  }

  /** A spawnWire for Modem56.join. */
  readonly spawn = (info: ChannelInfo): Plug => {
    this.infos.push(info)
    return this.hub.createWire(() => this.#changed())
  }

  get count (): number { return this.hub.count }

  /** Resolves once `cond()` holds (checked on every node open/close). */
  async until (cond: () => boolean): Promise<void> {
    while (!cond()) await new Promise<void>(resolve => this.#waiters.push(resolve))
  }

  /** Asks every connected peer and returns their sorted answers. */
  async ask (question: string): Promise<string[]> {
    const answers = await Promise.all(this.hub.nodes.map(async node => text((await node.postMessage(utf8(question), true))[0])))
    return answers.sort()
  }

  #changed (): void {
    for (const wake of this.#waiters.splice(0)) wake()
  }
}

/** A local hyperswarm DHT on loopback and modems on it; everything is destroyed after the test. */
export async function swarmNet (t: TestContext): Promise<{ testnet: Testnet, modem: (options?: ModemOptions) => Modem56 }> {
  const testnet = await createTestnet(3)
  const modems: Modem56[] = []
  t.after(async () => {
    for (const m of modems) await m.destroy()
    await testnet.destroy()
  })
  return {
    testnet,
    modem: (options?: ModemOptions): Modem56 => {
      const m = new Modem56(Hyperswarm, { dht: testnet.createNode() }, options)
      modems.push(m)
      return m
    }
  }
}

/** A duplex pair whose ends close together, like the two ends of a real connection. */
export function pair (): [Duplex, Duplex] {
  const [a, b] = duplexPair()
  a.on('close', () => b.destroy())
  b.on('close', () => a.destroy())
  return [a, b]
}

/**
 * An in-memory stand-in swarm (what a simulator provides): every instance on the same `room`
 * that joins a common topic gets one connection (a Node duplex pair) per pair of instances.
 */
export class LoopSwarm implements SwarmLike {
  static rooms: Map<string, Set<LoopSwarm>> = new Map()
  readonly room: Set<LoopSwarm>
  readonly joined: Set<string> = new Set()
  readonly sockets: Set<Duplex> = new Set()
  readonly #listeners: Set<(socket: SwarmSocket, info: SwarmPeerInfo) => void> = new Set()
  readonly #peers: Set<LoopSwarm> = new Set()
  destroyed = false

  constructor (options: { room: string }) {
    let room = LoopSwarm.rooms.get(options.room)
    if (room === undefined) LoopSwarm.rooms.set(options.room, room = new Set())
    this.room = room
    room.add(this)
  }

  on (_event: 'connection', listener: (socket: SwarmSocket, info: SwarmPeerInfo) => void): this { this.#listeners.add(listener); return this }
  removeListener (_event: 'connection', listener: (socket: SwarmSocket, info: SwarmPeerInfo) => void): this { this.#listeners.delete(listener); return this }

  join (topic: Uint8Array): SwarmDiscovery {
    const hex = Array.from(topic, b => b.toString(16).padStart(2, '0')).join('')
    this.joined.add(hex)
    for (const other of this.room) {
      if (other === this || !other.joined.has(hex) || this.#peers.has(other)) continue
      this.#peers.add(other)
      other.#peers.add(this)
      const [a, b] = pair()
      this.#emit(a, { client: true, topics: [topic] }, other)
      other.#emit(b, { client: false, topics: [] }, this)
    }
    return { flushed: async () => {} }
  }

  /** Hands a raw socket to the listeners, as if a peer connected (for protocol tests). */
  inject (socket: Duplex): void { this.#emit(socket, { client: false }, null) }

  #emit (socket: Duplex, info: SwarmPeerInfo, other: LoopSwarm | null): void {
    this.sockets.add(socket)
    socket.on('close', () => {
      this.sockets.delete(socket)
      if (other !== null) { this.#peers.delete(other); other.#peers.delete(this) }
    })
    for (const l of this.#listeners) l(socket as unknown as SwarmSocket, info)
  }

  async leave (topic: Uint8Array): Promise<void> {
    this.joined.delete(Array.from(topic, b => b.toString(16).padStart(2, '0')).join(''))
  }

  async destroy (): Promise<void> {
    this.destroyed = true
    this.room.delete(this)
    for (const s of this.sockets) s.destroy()
  }
}
