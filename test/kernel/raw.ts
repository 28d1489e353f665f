// A hand-driven peer of the sync protocol for tests: it says hello, proves its node key and
// then sends whatever a test wants, well-formed or not.
import { ed25519 } from '../../src/feed/index.js'
import type { Plug } from '../../src/net/index.js'
import { MAX_QUEUE_BYTES } from '../../src/kernel/constants.js'
import { authPayload, decodeMessage, encodeAuth, encodeHello } from '../../src/kernel/protocol.js'

/** One raw end of a wire to a kernel. */
export class RawPeer {
  readonly seed: Uint8Array = crypto.getRandomValues(new Uint8Array(32))
  readonly key: Uint8Array = ed25519().getPublicKey(this.seed)
  readonly nonce: Uint8Array = crypto.getRandomValues(new Uint8Array(16))
  readonly inbox: Uint8Array[] = []
  readonly plug: Plug
  /** The socket under the wire, when a test made one (to stop reading it). */
  socket: { pause: () => unknown } | undefined
  /** While set, the handler never settles: nothing more is delivered (a peer that reads nothing). */
  stalled = false
  /** Resolves with the kernel's hello. */
  readonly remoteHello: Promise<{ nodeKey: Uint8Array, nonce: Uint8Array }>
  #onHello: (h: { nodeKey: Uint8Array, nonce: Uint8Array }) => void = () => {}
  #listeners = new Set<(msg: Uint8Array) => void>()

  private constructor (plug: Plug) {
    this.plug = plug
    this.remoteHello = new Promise(resolve => { this.#onHello = resolve })
  }

  /** Opens `plug` with a handler that records every message. */
  static async open (plug: Plug): Promise<RawPeer> {
    const p = new RawPeer(plug)
    await plug.open((msg) => {
      if (p.stalled) return new Promise<void>(() => {})
      p.inbox.push(msg)
      if (msg[0] === 0x01) {
        const m = decodeMessage(msg)
        if (m.type === 'hello') p.#onHello({ nodeKey: m.nodeKey, nonce: m.nonce })
      }
      for (const l of p.#listeners) l(msg)
    })
    return p
  }

  /** Our hello (a fresh key and nonce; `version` for mismatch tests). */
  hello (version?: number): Uint8Array {
    return encodeHello(this.key, this.nonce, MAX_QUEUE_BYTES, version)
  }

  /** Our auth for the kernel's hello, signed with `seed` (another seed forges it). */
  async auth (seed: Uint8Array = this.seed): Promise<Uint8Array> {
    const h = await this.remoteHello
    return encodeAuth(ed25519().sign(authPayload(h.nonce, h.nodeKey, this.nonce, this.key), seed))
  }

  /** Sends hello and auth: afterwards the kernel takes any message from us. */
  async greet (): Promise<void> {
    await this.plug.postMessage(this.hello())
    await this.plug.postMessage(await this.auth())
  }

  /** Calls `cb` with every message received from now on; returns a function that stops it. */
  on (cb: (msg: Uint8Array) => void): () => void {
    this.#listeners.add(cb)
    return () => { this.#listeners.delete(cb) }
  }

  /** Resolves with the first message (already received or to come) of type `type`. */
  next (type: number): Promise<Uint8Array> {
    const seen = this.inbox.find(m => m[0] === type)
    if (seen !== undefined) return Promise.resolve(seen)
    return new Promise(resolve => {
      const l = (msg: Uint8Array): void => {
        if (msg[0] !== type) return
        this.#listeners.delete(l)
        resolve(msg)
      }
      this.#listeners.add(l)
    })
  }
}
