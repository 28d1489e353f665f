// The Ed25519 backends against each other (libsodium, node:crypto, noble, WebCrypto): same keys
// and signatures, same verdicts, also on the edge cases where implementations differ
// (test/feed/_edge.ts) and on signatures, keys and messages mutated at random.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ed25519, nobleEd25519, webCryptoBatchVerifier, backendBatchVerifier, toHex } from '../../src/feed/index.js'
import type { Ed25519, VerifyItem } from '../../src/feed/index.js'
import { nodeCryptoEd25519, sodiumNativeEd25519 } from '../../src/feed/ed25519.js'
import { edgeCases } from './_edge.js'

const sodium = sodiumNativeEd25519() as Ed25519
const node = nodeCryptoEd25519() as Ed25519
const backends: Ed25519[] = [sodium, node, nobleEd25519]

test('libsodium is the default backend in Node, node:crypto and noble stay available', () => {
  assert.equal(ed25519().name, 'sodium-native')
  assert.equal(sodium?.name, 'sodium-native')
  assert.equal(node?.name, 'node:crypto')
})

test('libsodium, node:crypto and noble: same public keys and signatures, each verifies the others', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), (seed, msg) => {
    const pk = toHex(sodium.getPublicKey(seed))
    const sig = toHex(sodium.sign(msg, seed))
    for (const b of backends) {
      assert.equal(toHex(b.getPublicKey(seed)), pk, b.name)
      const own = b.sign(msg, seed)
      assert.equal(toHex(own), sig, b.name)
      for (const v of backends) assert.ok(v.verify(own, msg, v.getPublicKey(seed)), `${v.name} verifies ${b.name}`)
    }
  }), { numRuns: 100 })
})

/** Every verdict on `items`: each backend synchronously and off-thread, and WebCrypto. */
async function verdicts (items: readonly VerifyItem[]): Promise<Record<string, boolean[]>> {
  const out: Record<string, boolean[]> = {}
  for (const b of backends) out[b.name] = items.map(it => b.verify(it.sig, it.msg, it.pk))
  out.async = await backendBatchVerifier(sodium).verifyBatch(items)
  out.webcrypto = await webCryptoBatchVerifier().verifyBatch(items)
  return out
}

test('every backend reaches the same verdict on Ed25519 edge cases', async () => {
  const cases = edgeCases()
  const all = await verdicts(cases)
  for (const [name, vs] of Object.entries(all)) {
    cases.forEach((c, i) => assert.equal(vs[i], c.valid, `${name}: ${c.name}`))
  }
})

test('every backend reaches the same verdict on mutated signatures, keys and messages', async () => {
  const edges = edgeCases()
  const smallOrder = [0n, 1n, 2n ** 255n - 20n, 2n ** 255n - 19n, 2n ** 255n - 18n].map(n => {
    const b = new Uint8Array(32)
    for (let i = 0; i < 32; i++) { b[i] = Number(n & 255n); n >>= 8n }
    return b
  })
  const item = fc.record({
    base: fc.integer({ min: 0, max: edges.length - 1 }),
    flips: fc.array(fc.record({ where: fc.constantFrom('sig', 'pk', 'msg'), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }), { maxLength: 3 }),
    r: fc.option(fc.constantFrom(...smallOrder), { nil: undefined }),
    signBit: fc.boolean()
  }).map(({ base, flips, r, signBit }): VerifyItem => {
    const e = edges[base] as VerifyItem
    const it = { sig: e.sig.slice(), pk: e.pk.slice(), msg: e.msg.slice() }
    if (r !== undefined) it.sig.set(r)
    if (signBit) it.sig[31] = (it.sig[31] as number) ^ 0x80
    for (const f of flips) {
      const bytes = it[f.where]
      if (bytes.length > 0) bytes[f.at % bytes.length] = (bytes[f.at % bytes.length] as number) ^ (1 << f.bit)
    }
    return it
  })
  await fc.assert(fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 20 }), async items => {
    const all = await verdicts(items)
    const first = all[sodium.name] as boolean[]
    for (const [name, vs] of Object.entries(all)) assert.deepEqual(vs, first, name)
  }), { numRuns: 100 })
})
