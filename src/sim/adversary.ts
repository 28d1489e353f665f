// Built-in adversarial peers: each is a PeerInit to pass to `sim.launch(name, { honest: false }, ...)`.
// Block-level attacks run a SimpleKernel whose `onquery` (what it sends a peer that sent its
// summary) is replaced by the attack; wire-level attacks write to the raw swarm sockets.
// Writing one's own: any init function is a peer; subclass SimpleKernel and override `onquery`,
// `onblocks` or `spawnWire`, or take `peer.Swarm` and write whatever bytes you like.
import { Feed } from '../feed/index.js'
import { SimpleKernel } from '../kernel/index.js'
import { MSG_BLOCKS } from '../kernel/constants.js'
import { picoWire } from '../net/index.js'
import type { Plug } from '../net/index.js'
import type { PeerInfo, Summary, SummaryEntry, SyncAnswer } from '../kernel/index.js'
import { Modem56, topicKey } from '../modem/index.js'
import { encodeBody } from '../store/index.js'
import type { PeerContext, PeerInit } from './simulator.js'

/** Options shared by the built-in adversaries. */
export interface AdversaryOptions {
  /** The topic the honest peers join (a name or a 32-byte key). */
  topic: string | Uint8Array
  /** Collection name the fake blocks claim to be for ('tick'). */
  root?: string
  /** How many blocks an attack sends per peer (forger: 20, orphan flood: 1100). */
  count?: number
}

function body (root: string, n: number): Uint8Array {
  return encodeBody(root, { time: Date.now(), n })
}

/** A kernel that answers every summary with `attack(peer)`. */
class AttackKernel extends SimpleKernel {
  readonly #attack: (summary: SummaryEntry[], peer: PeerInfo) => Feed[]
  constructor (peer: PeerContext, attack: (summary: SummaryEntry[], peer: PeerInfo) => Feed[]) {
    super(peer.db(), { secret: peer.secret })
    this.#attack = attack
  }

  override onquery (summary: Summary, peer: PeerInfo): SyncAnswer {
    return this.#attack([...summary], peer)
  }
}

/** A kernel that speaks the protocol, announces what it holds and never sends a block. */
class WithholdingKernel extends AttackKernel {
  override spawnWire (): Plug {
    const inner = super.spawnWire()
    const [ours, theirs] = picoWire({ timeout: 0 })
    // every message of the kernel but its blocks goes out; everything the peer sends comes in
    inner.open(async msg => { if (msg[0] !== MSG_BLOCKS) await ours.postMessage(msg) }).catch(() => {})
    ours.open(async msg => { await inner.postMessage(msg) }).catch(() => {})
    void inner.closed.then(err => { ours.close(err ?? undefined) })
    void ours.closed.then(err => { inner.close(err ?? undefined) })
    return theirs
  }
}

async function attackWith (peer: PeerContext, topic: string | Uint8Array, attack: (summary: SummaryEntry[], p: PeerInfo) => Feed[], Kernel = AttackKernel): Promise<void> {
  const kernel = new Kernel(peer, attack)
  await kernel.boot()
  peer.watch(kernel)
  const modem = new Modem56(peer.Swarm, peer.swarmOptions)
  peer.onstop(async () => { await modem.destroy(); await kernel.halt() })
  await modem.join(topic, () => kernel.spawnWire())
}

/** A feed of `count` blocks signed by `secret`, then with every body altered (signatures no longer match). */
function forged (secret: Uint8Array, root: string, count: number): Feed {
  const f = new Feed()
  for (let i = 0; i < count; i++) f.append(body(root, i), secret)
  const bytes = f.buffer.slice()
  const base = f.buffer.byteOffset
  for (const b of f.blocks) bytes[b.buffer.byteOffset - base + b.buffer.length - 1] ^= 0x01
  return Feed.from(bytes, true)
}

/**
 * Built-in adversaries (pass to `sim.launch(name, { honest: false }, adversaries.forger({ topic }))`).
 */
export const adversaries = {
  /** Sends chains whose signatures do not verify (a peer must drop it: `InvalidBlocks`). */
  forger (opts: AdversaryOptions): PeerInit {
    return async peer => {
      const root = opts.root ?? 'tick'
      const count = opts.count ?? 20
      await attackWith(peer, opts.topic, () => {
        peer.signal('attack', { kind: 'forged', blocks: count })
        return [forged(peer.secret, root, count)]
      })
    }
  },

  /**
   * Sends many blocks whose parents nobody has (orphans for the mempool) and never answers the
   * wants they cause: past the kernel's `maxWants` (1024) unanswered wants a peer drops it
   * (`Flood`), so the default count is above it.
   */
  orphanFlood (opts: AdversaryOptions): PeerInit {
    return async peer => {
      const root = opts.root ?? 'tick'
      const count = opts.count ?? 1100
      await attackWith(peer, opts.topic, () => {
        const out: Feed[] = []
        for (let i = 0; i < count; i++) {
          const f = new Feed()
          f.append(body(root, -1), peer.secret)
          f.append(body(root, i), peer.secret)
          out.push(f.slice(1))
        }
        peer.signal('attack', { kind: 'orphans', blocks: count })
        return out
      })
    }
  },

  /**
   * Equivocates: the same chain position with two different blocks, both to every peer, in
   * alternating order (so peers take different sides first). A peer drops it once it has
   * received both (`InvalidBlocks`).
   */
  equivocator (opts: AdversaryOptions): PeerInit {
    return async peer => {
      const root = opts.root ?? 'tick'
      const genesis = new Feed()
      genesis.append(body(root, 0), peer.secret)
      const a = genesis.clone(); a.append(body(root, 1), peer.secret)
      const b = genesis.clone(); b.append(body(root, 2), peer.secret)
      let n = 0
      await attackWith(peer, opts.topic, () => {
        peer.signal('attack', { kind: 'fork' })
        return n++ % 2 === 0 ? [a, b] : [b, a]
      })
    }
  },

  /**
   * Takes part in the protocol, fetches and announces like an honest peer, but never sends a
   * block (withholding): peers that fetch from it first get the chain from another announcer
   * after `fetchTimeout`.
   */
  withholder (opts: AdversaryOptions): PeerInit {
    return async peer => { await attackWith(peer, opts.topic, () => [], WithholdingKernel) }
  },

  /** Writes random bytes on every connection instead of the protocol (garbage frames). */
  garbage (opts: AdversaryOptions & { bytes?: number }): PeerInit {
    return async peer => {
      const swarm = new peer.Swarm(peer.swarmOptions)
      peer.onstop(() => swarm.destroy())
      swarm.on('connection', socket => {
        socket.on('error', () => {})
        const junk = new Uint8Array(opts.bytes ?? 4096)
        for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(peer.random() * 256)
        socket.write(junk)
        peer.signal('attack', { kind: 'garbage', bytes: junk.length })
      })
      await swarm.join(topicKey(opts.topic)).flushed()
    }
  }
}
