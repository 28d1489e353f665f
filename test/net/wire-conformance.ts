// One contract, every transport: the in-memory wire, TCP and WebSocket files each call
// wireConformance(name, factory) with a factory that returns two connected, unopened plugs.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it as nodeIt } from 'node:test'
import type { Plug, Reply } from '../../src/net/index.js'

export interface WirePair {
  /** The two application ends, connected to each other, not opened yet. */
  a: Plug
  b: Plug
  /** Releases everything the factory made (servers, sockets); called after the plugs closed. */
  teardown (): Promise<void>
}

export type WireFactory = () => Promise<WirePair>

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b)

export function deferred<T = void> (): { promise: Promise<T>, resolve: (v: T) => void } {
  let resolve!: (v: T) => void
  const promise = new Promise<T>(r => { resolve = r })
  return { promise, resolve }
}

/** Runs `body` on a fresh pair and always closes it and tears it down. */
async function withPair (factory: WireFactory, body: (a: Plug, b: Plug) => Promise<void>): Promise<void> {
  const { a, b, teardown } = await factory()
  try {
    await body(a, b)
  } finally {
    a.close()
    b.close()
    await Promise.all([a.closed, b.closed])
    await teardown()
  }
}

/** Options of {@link wireConformance}. */
export interface ConformanceOptions {
  /**
   * Checks this kind of wire does not pass on purpose, by title, each with the documented
   * reason (reported as skipped, so the difference stays visible).
   */
  differs?: Record<string, string>
}

export function wireConformance (name: string, factory: WireFactory, options: ConformanceOptions = {}): void {
  const it = (title: string, fn: () => Promise<void>): void => {
    const reason = options.differs?.[title]
    if (reason === undefined) nodeIt(title, fn)
    else nodeIt(title, { skip: reason }, fn)
  }
  describe(`wire conformance: ${name}`, () => {
    it('opens both ends', async () => {
      await withPair(factory, async (a, b) => {
        assert.equal(a.isClosed, false)
        const opening = a.open(() => {})
        await b.open(() => {})
        assert.equal(await opening, a)
        await a.opened
        await b.opened
        assert.equal(a.isActive, true)
        assert.equal(b.isActive, true)
      })
    })

    it('holds a four-step conversation', async () => {
      await withPair(factory, async (a, b) => {
        b.open(async (msg, reply) => {
          assert.equal(dec(msg), 'who are you?')
          assert.ok(reply)
          const [name, reply2] = await reply(enc('I am B, and you?'), true)
          assert.ok(reply2)
          const [last, reply3] = await reply2(enc(`Cool, ${dec(name)}! Anything else?`), true)
          assert.equal(dec(last), 'no, bye')
          assert.equal(reply3, null)
        })
        await a.open(() => {})
        const [m1, r1] = await a.postMessage(enc('who are you?'), true)
        assert.equal(dec(m1), 'I am B, and you?')
        assert.ok(r1)
        const [m2, r2] = await r1(enc('A'), true)
        assert.equal(dec(m2), 'Cool, A! Anything else?')
        assert.ok(r2)
        assert.equal(await r2(enc('no, bye')), undefined)
      })
    })

    it('converses in both directions', async () => {
      await withPair(factory, async (a, b) => {
        a.open(async (msg, reply) => { await reply?.(enc('a:' + dec(msg))) })
        b.open(async (msg, reply) => { await reply?.(enc('b:' + dec(msg))) })
        const [fromB] = await a.postMessage(enc('hi'), true)
        const [fromA] = await b.postMessage(enc('hey'), true)
        assert.equal(dec(fromB), 'b:hi')
        assert.equal(dec(fromA), 'a:hey')
        assert.equal(fromB.constructor, Uint8Array, 'a plain Uint8Array, not a Buffer')
        assert.equal(fromA.constructor, Uint8Array, 'a plain Uint8Array, not a Buffer')
      })
    })

    it('delivers messages without reply in order', async () => {
      await withPair(factory, async (a, b) => {
        const got: string[] = []
        b.open(async (msg, reply) => {
          if (reply === null) got.push(dec(msg))
          else await reply(enc(String(got.length)))
        })
        await a.open(() => {})
        for (let i = 0; i < 100; i++) assert.equal(await a.postMessage(enc(`m${i}`)), undefined)
        const [count] = await a.postMessage(enc('count?'), true)
        assert.equal(dec(count), '100')
        assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => `m${i}`))
      })
    })

    it('keeps concurrent conversations apart', async () => {
      await withPair(factory, async (a, b) => {
        const N = 200
        const held: Array<[string, Reply]> = []
        const all = deferred()
        b.open((msg, reply) => {
          held.push([dec(msg), reply as Reply])
          if (held.length === N) all.resolve()
        })
        await a.open(() => {})
        const convs = Array.from({ length: N }, async (_, i) => {
          const [m, r] = await a.postMessage(enc(`q${i}`), true)
          assert.equal(dec(m), `a${i}`)
          assert.ok(r)
          const [m2] = await r(enc(`qq${i}`), true)
          assert.equal(dec(m2), `aa${i}`)
        })
        await all.promise
        // answer in reverse order, each with a follow-up question
        await Promise.all(held.reverse().map(async ([q, reply]) => {
          const i = q.slice(1)
          const [m, r] = await reply(enc(`a${i}`), true)
          assert.equal(dec(m), `qq${i}`)
          await r?.(enc(`aa${i}`))
        }))
        await Promise.all(convs)
      })
    })

    it('carries 1 MB messages both ways', async () => {
      await withPair(factory, async (a, b) => {
        const big = new Uint8Array(randomBytes(1024 * 1024))
        b.open(async (msg, reply) => {
          assert.deepEqual(msg, big)
          await reply?.(msg.slice().reverse())
        })
        await a.open(() => {})
        const [answer] = await a.postMessage(big, true)
        assert.equal(answer.byteLength, big.byteLength)
        assert.deepEqual(answer, big.slice().reverse())
      })
    })

    it('rejects the asker when the handler throws, and stays open', async () => {
      await withPair(factory, async (a, b) => {
        b.open(async (msg, reply) => {
          if (dec(msg) === 'sync') throw new Error('boom sync')
          if (dec(msg) === 'async') { await Promise.resolve(); throw new Error('boom async') }
          if (dec(msg) === 'reject') { reply?.reject(new Error('nope')); return }
          await reply?.(enc('fine'))
        })
        await a.open(() => {})
        await assert.rejects(a.postMessage(enc('sync'), true), /boom sync/)
        await assert.rejects(a.postMessage(enc('async'), true), /boom async/)
        await assert.rejects(a.postMessage(enc('reject'), true), /nope/)
        const [m] = await a.postMessage(enc('ok'), true)
        assert.equal(dec(m), 'fine')
        assert.equal(a.isClosed, false)
      })
    })

    it('times out one conversation with Timeout and stays usable', async () => {
      await withPair(factory, async (a, b) => {
        const late: Reply[] = []
        const first = deferred()
        b.open(async (msg, reply) => {
          if (dec(msg) === 'ignored') { late.push(reply as Reply); first.resolve(); return }
          await reply?.(enc('pong'))
        })
        await a.open(() => {})
        await assert.rejects(a.postMessage(enc('ignored'), true, { timeout: 50 }), { code: 'Timeout' })
        await first.promise
        // a late answer is dropped without harming the wire
        await (late[0] as Reply)(enc('too late')).catch(() => {})
        const [m] = await a.postMessage(enc('ping'), true, { timeout: 5000 })
        assert.equal(dec(m), 'pong')
        assert.equal(a.isClosed, false)
      })
    })

    it('aborts a wait with Aborted', async () => {
      await withPair(factory, async (a, b) => {
        const got = deferred()
        b.open(() => { got.resolve() })
        await a.open(() => {})
        const ac = new AbortController()
        const p = a.postMessage(enc('never answered'), true, { signal: ac.signal })
        await got.promise
        ac.abort()
        await assert.rejects(p, { code: 'Aborted' })
        const pre = AbortSignal.abort()
        await assert.rejects(a.postMessage(enc('x'), true, { signal: pre }), { code: 'Aborted' })
      })
    })

    for (const side of ['asker', 'answerer'] as const) {
      it(`closing the ${side} mid-conversation rejects both sides with Disconnected`, async () => {
        await withPair(factory, async (a, b) => {
          const got = deferred<Reply>()
          b.open((_msg, reply) => { got.resolve(reply as Reply) })
          await a.open(() => {})
          const pending = a.postMessage(enc('question'), true)
          const reply = await got.promise
          ;(side === 'asker' ? a : b).close()
          await assert.rejects(pending, { code: 'Disconnected' })
          assert.equal(await a.closed, null)
          assert.equal(await b.closed, null)
          assert.equal(a.isClosed && b.isClosed, true)
          assert.equal(a.isActive || b.isActive, false)
          await assert.rejects(reply(enc('answer')), { code: 'Disconnected' })
          await assert.rejects(a.postMessage(enc('after')), { code: 'Disconnected' })
          await assert.rejects(b.postMessage(enc('after'), true), { code: 'Disconnected' })
        })
      })
    }

    it('closing with an error rejects local waits with it', async () => {
      await withPair(factory, async (a, b) => {
        const got = deferred()
        b.open(() => { got.resolve() })
        await a.open(() => {})
        const pending = a.postMessage(enc('question'), true)
        await got.promise
        const err = new Error('going away')
        a.close(err)
        await assert.rejects(pending, err)
        assert.equal(await a.closed, err)
        await b.closed
        assert.equal(b.isClosed, true)
      })
    })

    it('refuses non-bytes', async () => {
      await withPair(factory, async (a, b) => {
        b.open(() => {})
        await a.open(() => {})
        for (const bad of ['text', 42, null, [1, 2], new ArrayBuffer(2)]) {
          await assert.rejects(a.postMessage(bad as unknown as Uint8Array), TypeError)
        }
      })
    })
  })
}
