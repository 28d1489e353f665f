import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Feed, toHex, getPublicKey, nobleEd25519, setEd25519, ed25519 } from '../../src/feed/index.js'
import type { Ed25519 } from '../../src/feed/index.js'
import { nodeCryptoEd25519, sodiumNativeEd25519 } from '../../src/feed/ed25519.js'

// spec/feed.md §3: the worked example; Ed25519 is deterministic, so the bytes are fixed.
const SK = 'f1d0ea8c8dc3afca9766ee6104f02b6ea427f1d24e3e4d6813b09946dff11dfa'
const PK = '7f27cc492c272e24f1a1428dd528c9f089f36a3d17aa4695958601104d61792e'
const HELLO = '504943309e852e29b46176a47e492a2e66ae1ec0cd332769ed295f9078102bb0' +
  '1a980cb77becaa223ac48b5ab5ceb74d664b106946ccfdc15c3db97136687195' +
  '17adcd032700017f27cc492c272e24f1a1428dd528c9f089f36a3d17aa469595' +
  '8601104d61792e68656c6c6f'
const WORLD_SIG = 'a0bc9e9d9a792697499879e63e05bf4b77003d3850aada554f2eb833e7f09146' +
  '674fe0b70e6ad17601c444591eb292d382be6c911d9d1a032a767ee6a51bcf00'
const B0_SIG = '9e18cace6e020264ca63836eabb453696b35546b5e0a79ee1da05e52dccd5e2bfad7bb51c03be7ea2aabe47db06f97c707e9656acf8cb83a34528340ebe18805'

const backends: Record<string, Ed25519 | undefined> = { 'sodium-native': sodiumNativeEd25519(), 'node:crypto': nodeCryptoEd25519(), noble: nobleEd25519 }
for (const [name, backend] of Object.entries(backends)) {
  test(`worked example bytes (${name})`, () => {
    assert.ok(backend !== undefined, `${name} loads in Node`)
    setEd25519(backend)
    try {
      assert.equal(getPublicKey(SK), PK)
      const f = new Feed()
      assert.equal(f.append('hello', SK), 1)
      assert.equal(f.tail, 108)
      assert.equal(toHex(f.buffer), HELLO)
      assert.equal(f.last?.size, 5)
      assert.equal(f.append('world', SK), 2)
      assert.equal(f.tail, 278)
      assert.equal(toHex(f.block(1)!.sig), WORLD_SIG)
      assert.equal(f.block(1)!.size, 5)
      const g = new Feed()
      g.append('B0', SK)
      assert.equal(toHex(g.first!.sig), B0_SIG)
    } finally {
      setEd25519()
    }
  })
}

test('libsodium backend is in use in Node, with an off-thread check', () => {
  assert.equal(ed25519().name, 'sodium-native')
  assert.equal(typeof ed25519().verifyAsync, 'function')
})
