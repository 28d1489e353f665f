// Signature checks off the main thread (PROTOCOL.md, Exchange 9): the worker pool gives the
// verdicts of the feed's backend, its packing survives any truncation, and a kernel checks the
// next message while the one before it is written, keeping order and all-or-nothing per message.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Feed, SIG_SIZE, ed25519, signPair, toHex } from '../../src/feed/index.js'
import type { BatchVerifier, VerifyItem } from '../../src/feed/index.js'
import { MAX_QUEUE_BYTES, VERIFY_AHEAD_BYTES } from '../../src/kernel/constants.js'
import { encodeBlocks } from '../../src/kernel/protocol.js'
import { KernelError } from '../../src/kernel/errors.js'
import { packItems, unpackVerdicts } from '../../src/kernel/verify-pack.js'
import { workerVerifier } from '../../src/kernel/verify-pool.js'
import type { PeerInfo } from '../../src/kernel/index.js'
import { encodeBody } from '../../src/store/index.js'
import type { DispatchResult } from '../../src/store/index.js'
import { Counter } from './helpers.js'
import { RawPeer } from './raw.js'
import '../helpers/seed.js'

const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n })
const item = fc.record({ sig: bytes(64), pk: bytes(32), msg: fc.uint8Array({ maxLength: 300 }) })

test('packed items unpack to the same checks; a truncated job gives false for what it lacks, never a throw', () => {
  fc.assert(fc.property(fc.array(item, { maxLength: 20 }), fc.nat(), (items, cut) => {
    const seen: VerifyItem[] = []
    const buf = packItems(items)
    const ok = unpackVerdicts(buf, (sig, msg, pk) => { seen.push({ sig: sig.slice(), msg: msg.slice(), pk: pk.slice() }); return true })
    assert.equal(ok.length, items.length)
    assert.deepEqual(seen, items.map(it => ({ sig: it.sig, msg: it.msg, pk: it.pk })))
    const short = buf.subarray(0, cut % (buf.length + 1))
    const partial = unpackVerdicts(short, () => true)
    assert.ok(partial.length <= items.length)
    let n = 0
    unpackVerdicts(short, () => { n++; return true })
    assert.equal(partial.reduce((a, v) => a + v, 0), n, 'only complete items are checked')
  }))
})

function blockItems (n: number): VerifyItem[] {
  const { sk } = signPair()
  const feed = new Feed()
  for (let i = 0; i < n; i++) feed.append(`block ${i}`, sk)
  return feed.blocks.map(b => ({ sig: b.sig, msg: b.buffer.subarray(SIG_SIZE), pk: b.key }))
}

test('the worker pool gives the backend\'s verdicts: good, forged, malformed keys', async () => {
  const pool = workerVerifier({ size: 2 }) as BatchVerifier
  assert.ok(pool !== undefined, 'worker threads exist in Node')
  const items = blockItems(100)
  const mixed = items.map((it, i) => {
    if (i % 7 === 3) { const sig = it.sig.slice(); sig[5] = (sig[5] as number) ^ 1; return { ...it, sig } }
    if (i % 11 === 5) return { ...it, pk: new Uint8Array(32) }
    if (i % 13 === 6) return { ...it, msg: it.msg.subarray(1) }
    return it
  })
  const expected = mixed.map(it => { try { return ed25519().verify(it.sig, it.msg, it.pk) } catch { return false } })
  assert.deepEqual(await pool.verifyBatch(mixed), expected)
  assert.ok(expected.includes(true) && expected.includes(false))
  assert.deepEqual(await pool.verifyBatch([]), [])
  assert.deepEqual(await pool.verifyBatch(items.slice(0, 1)), [true])
  assert.throws(() => workerVerifier({ size: 0 }), RangeError)
})

/** A kernel whose store waits for `gate` before dispatching a peer's first message. */
class Gated extends Counter {
  gate: Promise<void> = Promise.resolve()
  dispatched = 0
  override async onblocks (feed: Feed, peer: PeerInfo): Promise<DispatchResult> {
    if (this.dispatched++ === 0) await this.gate
    return await super.onblocks(feed, peer)
  }
}

function message (feed: Feed, forgeAt?: number): Uint8Array {
  const msg = encodeBlocks(feed)
  if (forgeAt !== undefined) {
    const sig = (feed.blocks[forgeAt] as { sig: Uint8Array }).sig
    let at = -1
    for (let p = 0; p + sig.length <= msg.length && at < 0; p++) if (msg.subarray(p, p + sig.length).every((v, i) => v === sig[i])) at = p
    msg[at + 9] = (msg[at + 9] as number) ^ 0x40
  }
  return msg
}

for (const mode of ['workers', 'main thread'] as const) {
  test(`messages are checked ahead while the one before is written (${mode}); order and all-or-nothing hold, a forgery drops the peer`, { timeout: 60_000 }, async () => {
    const calls: number[] = []
    const base = mode === 'workers' ? workerVerifier({ size: 2 }) as BatchVerifier : undefined
    const verifier: BatchVerifier = {
      name: 'recording',
      async verifyBatch (items) {
        calls.push(items.length)
        if (calls.length === 2) release()
        return base !== undefined ? await base.verifyBatch(items) : items.map(it => ed25519().verify(it.sig, it.msg, it.pk))
      }
    }
    const victim = new Gated(undefined, { verifier })
    let release: () => void = () => {}
    victim.gate = new Promise(resolve => { release = resolve })
    await victim.boot()
    const raw = await RawPeer.open(victim.spawnWire())
    await raw.greet()
    const { sk, pk } = signPair()
    const feed = new Feed()
    for (let i = 1; i <= 192; i++) feed.append(encodeBody('x', i, Date.now()), sk)
    // The first message is held in the store until the second one's check started.
    await raw.plug.postMessage(message(feed.slice(0, 64)))
    await raw.plug.postMessage(message(feed.slice(64, 128)))
    await raw.plug.postMessage(message(feed.slice(128), 63)) // the last block: the links hold, the signature does not
    const err = await raw.plug.closed
    assert.ok(err instanceof KernelError && err.code === 'InvalidBlocks', `closed with ${String(err)}`)
    assert.equal(victim.x[pk], 128, 'the two good messages are in, nothing of the forged one')
    assert.deepEqual(calls, [64, 64, 64], 'one check per block sent')
    await victim.halt()
  })
}

test('the checks ahead are bounded in bytes: a peer that queues a whole window gets at most VERIFY_AHEAD_BYTES of it checked early', { timeout: 120_000 }, async () => {
  const waiting: Array<() => void> = []
  let calls = 0
  let second: () => void = () => {}
  const twoCalls = new Promise<void>(resolve => { second = resolve })
  const verifier: BatchVerifier = {
    name: 'held',
    async verifyBatch (items) {
      if (++calls === 2) second()
      await new Promise<void>(resolve => waiting.push(resolve))
      return items.map(() => true)
    }
  }
  const victim = new Counter(undefined, { verifier })
  await victim.boot()
  const raw = await RawPeer.open(victim.spawnWire())
  await raw.greet()
  const { sk } = signPair()
  const feed = new Feed()
  const messages = 12
  const per = 1024
  for (let i = 1; i <= messages * per; i++) feed.append(encodeBody('x', i, Date.now()), sk)
  let bytes = 0
  for (let m = 0; m < messages; m++) {
    const msg = message(feed.slice(m * per, (m + 1) * per))
    bytes += msg.length
    await raw.plug.postMessage(msg)
  }
  assert.ok(bytes < MAX_QUEUE_BYTES, 'all inside one window')
  // The first message is held in its check; the second is checked ahead of its turn.
  await twoCalls
  const turn = (): Promise<void> => new Promise(resolve => setImmediate(resolve))
  for (let i = 0; i < 50; i++) await turn() // room for any further check to start (it must not)
  const bound = 1 + Math.ceil(VERIFY_AHEAD_BYTES / (bytes / messages)) + 1
  assert.ok(calls <= bound && calls < messages, `${calls} messages checked ahead of ${messages} queued (bound ${bound})`)
  // released: every message is taken, in order
  const key = toHex(feed.first?.key as Uint8Array)
  while (victim.x[key] !== messages * per) {
    for (const release of waiting.splice(0)) release()
    await turn()
  }
  assert.equal(calls, messages, 'one check per message')
  await victim.halt()
})
