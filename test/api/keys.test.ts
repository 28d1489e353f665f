// Keys and block ids are taken as bytes or hex at every public boundary (README, "API
// conventions"): each function below gives the same answer for both forms and refuses a wrong
// length, an odd number of hex digits or a non-hex character with a RangeError naming the argument.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MemoryLevel } from 'memory-level'
import { Feed, fromHex, getPublicKey, signPair, toHex } from '../../src/feed/index.js'
import { Repo } from '../../src/repo/index.js'
import { Memory, Store } from '../../src/store/index.js'
import { Counter } from '../kernel/helpers.js'

class Last extends Memory<number> {
  override initialValue = 0
  override compute (_current: number, ctx: { payload: unknown }): number { return ctx.payload as number }
}

interface Row {
  /** Function and argument, as the error message names the argument. */
  name: string
  arg: string
  /** The valid value, bytes. */
  value: Uint8Array
  /** Calls the function with the argument in the given form. */
  call: (x: Uint8Array | string) => Promise<unknown>
  /** Compare the two forms' results (false for functions that write). */
  same: boolean
}

function plain (x: unknown): unknown {
  if (x instanceof Uint8Array) return toHex(x)
  if (x instanceof Feed) return x.blocks.map(b => toHex(b.sig))
  if (Array.isArray(x)) return x.map(plain)
  if (typeof x === 'object' && x !== null) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]))
  return x
}

function bad (value: Uint8Array): Array<[string, unknown]> {
  const hex = toHex(value)
  return [
    ['one byte short', value.subarray(1)],
    ['one byte long', new Uint8Array(value.length + 1)],
    ['hex two digits short', hex.slice(2)],
    ['odd hex', hex.slice(1)],
    ['non-hex character', 'z' + hex.slice(1)]
  ]
}

test('every key and block id argument takes bytes or hex, and refuses bad lengths and bad hex with a RangeError naming it', async () => {
  const { pk, sk } = signPair()
  const repo = new Repo(new MemoryLevel({ keyEncoding: 'view', valueEncoding: 'view' }))
  const feed = new Feed()
  feed.append('a', sk)
  feed.append('b', sk)
  await repo.merge(feed)
  const id = (feed.first as { sig: Uint8Array }).sig
  const tip = (feed.last as { sig: Uint8Array }).sig
  const owner = fromHex(pk)

  const store = new Store(new MemoryLevel({ keyEncoding: 'view', valueEncoding: 'view' }))
  store.register('n', Last)
  await store.load()
  let n = 0
  const first = await store.createBlock('n', ++n, sk)

  const kernel = new Counter()
  await kernel.boot()
  await kernel.createBlock('x', 1)
  let k = 1

  const rows: Row[] = [
    { name: 'getPublicKey', arg: 'secret', value: fromHex(sk), call: async x => getPublicKey(x), same: true },
    { name: 'feed.append', arg: 'secret', value: fromHex(sk), call: async x => feed.clone().append('c', x), same: true },
    { name: 'block.verify', arg: 'pk', value: owner, call: async x => feed.first!.verify(x), same: true },
    { name: 'repo.hasBlock', arg: 'id', value: id, call: x => repo.hasBlock(x), same: true },
    { name: 'repo.chainOf', arg: 'id', value: id, call: x => repo.chainOf(x), same: true },
    { name: 'repo.ownerOf', arg: 'id', value: id, call: x => repo.ownerOf(x), same: true },
    { name: 'repo.readBlock', arg: 'id', value: id, call: async x => (await repo.readBlock(x))?.sig, same: true },
    { name: 'repo.chainInfo', arg: 'chainId', value: id, call: x => repo.chainInfo(x), same: true },
    { name: 'repo.tipOf', arg: 'chainId', value: id, call: x => repo.tipOf(x), same: true },
    { name: 'repo.headOf', arg: 'pk', value: owner, call: x => repo.headOf(x), same: true },
    { name: 'repo.tailOf', arg: 'pk', value: owner, call: x => repo.tailOf(x), same: true },
    { name: 'repo.latestOf', arg: 'pk', value: owner, call: x => repo.latestOf(x), same: true },
    { name: 'repo.loadHead', arg: 'pk', value: owner, call: x => repo.loadHead(x), same: true },
    { name: 'repo.loadLatest', arg: 'pk', value: owner, call: x => repo.loadLatest(x), same: true },
    { name: 'repo.loadFeed', arg: 'ptr', value: tip, call: x => repo.loadFeed(x), same: true },
    { name: 'repo.resolveFeed', arg: 'sig', value: id, call: x => repo.resolveFeed(x), same: true },
    { name: 'repo.listChains', arg: 'owner', value: owner, call: x => repo.listChains(x), same: true },
    { name: 'repo.prepareRollback', arg: 'head', value: owner, call: async x => (await repo.prepareRollback(x))?.evicted, same: true },
    { name: 'repo.prepareRollback', arg: 'stopAt', value: id, call: async x => (await repo.prepareRollback(owner, x))?.evicted, same: true },
    { name: 'store.createBlock', arg: 'secret', value: fromHex(sk), call: x => store.createBlock('n', ++n, x), same: false },
    { name: 'store.createBlock', arg: 'branch', value: owner, call: x => store.createBlock('n', ++n, sk, { branch: x }), same: false },
    { name: 'store.readBranch', arg: 'branch', value: first.last!.sig, call: x => store.readBranch(x), same: true },
    { name: 'store.referencesOf', arg: 'blockRoot', value: owner, call: x => store.referencesOf(x), same: true },
    { name: 'kernel.createBlock', arg: 'branch', value: fromHex(kernel.pk as string), call: x => kernel.createBlock('x', ++k, x), same: false }
  ]
  try {
    for (const r of rows) {
      const a = await r.call(r.value)
      const b = await r.call(toHex(r.value))
      const c = await r.call(toHex(r.value).toUpperCase())
      if (r.same) {
        assert.deepEqual(plain(b), plain(a), `${r.name}: hex and bytes give the same answer`)
        assert.deepEqual(plain(c), plain(a), `${r.name}: upper-case hex works too`)
      }
      for (const [what, v] of bad(r.value)) {
        await assert.rejects(() => r.call(v as Uint8Array), (err: Error) => {
          assert.ok(err instanceof RangeError, `${r.name} ${what}: ${String(err)}`)
          assert.match(err.message, new RegExp(`"${r.arg}"`), `${r.name} ${what} names "${r.arg}"`)
          return true
        })
      }
      await assert.rejects(() => r.call(42 as unknown as Uint8Array), TypeError, `${r.name}: a number is a TypeError`)
    }
  } finally {
    await kernel.halt()
    await store.close()
    await repo.close()
  }
})
