// The Ed25519 backends against each other: same keys and signatures, same verdicts, also on
// the edge cases where implementations differ (test/feed/_edge.ts).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ed25519, nobleEd25519, webCryptoBatchVerifier, backendBatchVerifier, toHex } from '../../src/feed/index.js'
import { edgeCases } from './_edge.js'

test('native and noble: same public keys and signatures', () => {
  const native = ed25519()
  assert.equal(native.name, 'node:crypto')
  fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), (seed, msg) => {
    const pk = native.getPublicKey(seed)
    assert.equal(toHex(pk), toHex(nobleEd25519.getPublicKey(seed)))
    const sig = native.sign(msg, seed)
    assert.equal(toHex(sig), toHex(nobleEd25519.sign(msg, seed)))
    assert.ok(native.verify(sig, msg, pk) && nobleEd25519.verify(sig, msg, pk))
  }), { numRuns: 100 })
})

test('every backend reaches the same verdict on Ed25519 edge cases', async () => {
  const cases = edgeCases()
  const web = await webCryptoBatchVerifier().verifyBatch(cases)
  const pool = await backendBatchVerifier().verifyBatch(cases)
  cases.forEach((c, i) => {
    assert.equal(ed25519().verify(c.sig, c.msg, c.pk), c.valid, `native: ${c.name}`)
    assert.equal(nobleEd25519.verify(c.sig, c.msg, c.pk), c.valid, `noble: ${c.name}`)
    assert.equal(web[i], c.valid, `webcrypto: ${c.name}`)
    assert.equal(pool[i], c.valid, `native async: ${c.name}`)
  })
})
