// Feed.fromAsync and the batch verifiers: every verifier (libsodium and node:crypto, noble, WebCrypto)
// gives the same verdicts as Feed.from, block for block.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Feed, FeedError, counters, nobleEd25519, backendBatchVerifier, webCryptoBatchVerifier, defaultBatchVerifier } from '../../src/feed/index.js'
import type { BatchVerifier } from '../../src/feed/index.js'
import { bases, feedBytes } from './_fuzz.js'
import { SHAPES, build } from './_fixtures.js'
import { nodeCryptoEd25519, sodiumNativeEd25519 } from '../../src/feed/ed25519.js'

const sodium = sodiumNativeEd25519()!
const verifiers: BatchVerifier[] = [
  backendBatchVerifier(), backendBatchVerifier(nobleEd25519), webCryptoBatchVerifier(),
  backendBatchVerifier(nodeCryptoEd25519()), backendBatchVerifier({ ...sodium, verifyAsync: undefined })
]

test('fromAsync: same feed as Feed.from, one verification per block, with every verifier', async () => {
  const f = build(new Feed(), SHAPES['three authors round robin']!)
  for (const verifier of verifiers) {
    const before = counters.verifications
    const g = await Feed.fromAsync(f.buffer, { verifier })
    assert.equal(counters.verifications - before, f.length, verifier.name)
    assert.deepEqual(g.buffer, f.buffer)
    const again = counters.verifications
    assert.equal(new Feed().merge(g), f.length)
    assert.equal(counters.verifications, again, 'blocks verified in the batch are not verified again')
  }
  assert.equal(await Feed.fromAsync(f), f)
  assert.equal((await Feed.fromAsync(f.buffer, { noVerify: true })).length, f.length)
  assert.equal((await Feed.fromAsync([...f.blocks])).length, f.length)
  assert.equal((await defaultBatchVerifier()).name, 'backend:sodium-native')
})

test('fromAsync: forged blocks reject with SignatureVerificationFailed for every verifier', async () => {
  const f = build(new Feed(), SHAPES['three authors round robin']!)
  const bad = f.buffer.slice()
  bad[bad.length - 1]! ^= 0x10
  for (const verifier of verifiers) {
    await assert.rejects(Feed.fromAsync(bad, { verifier }), { code: 'SignatureVerificationFailed', message: /block 8/ })
  }
  await assert.rejects(Feed.fromAsync(bad.subarray(0, 100)), { code: 'BufferUnderflow' })
  await assert.rejects(Feed.fromAsync(null as never), TypeError)
})

test('fromAsync agrees with Feed.from on random and mutated feeds (WebCrypto and noble)', async () => {
  const all = bases()
  await fc.assert(fc.asyncProperty(feedBytes(all), async bytes => {
    const outcome = (e: unknown): string => e instanceof FeedError ? e.code : `unexpected ${String(e)}`
    let expected = 'ok'
    try { Feed.from(bytes) } catch (e) { expected = outcome(e) }
    for (const verifier of [verifiers[1]!, verifiers[2]!]) {
      let got = 'ok'
      try { await Feed.fromAsync(bytes, { verifier }) } catch (e) { got = outcome(e) }
      assert.equal(got, expected, verifier.name)
    }
  }), { numRuns: 150 })
})
