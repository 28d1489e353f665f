// The store's layout-version key: written by the first load(), checked by every load().
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { signPair } from '../../src/feed/index.js'
import { RepoError } from '../../src/repo/index.js'
import { Store, Memory, StoreError, type ComputeContext } from '../../src/store/index.js'
import { encode, decode } from 'cborg'
import { backends, type AnyDb } from './_helpers.js'

const VERSION_KEY = Uint8Array.of(0x56)
const u64 = (n: number): Uint8Array => Uint8Array.of(0, 0, 0, 0, n >>> 24, n >>> 16, n >>> 8, n)

const arr = (b: Uint8Array | undefined): number[] | undefined => b === undefined ? undefined : [...b]

class Sum extends Memory<number> {
  override initialValue = 0
  override compute (v: number, { payload }: ComputeContext): number { return v + (payload as number) }
}

const be = backends.find(b => b.name === 'classic-level')!

function open (db: ReturnType<typeof be.open>['db']): { store: Store, sum: Sum } {
  const store = new Store(db)
  const sum = store.register('sum', Sum)
  return { store, sum }
}

/** One object whose value lists the payloads in acceptance order (a replay in another order differs). */
class Order extends Memory<number[]> {
  override initialValue: number[] = []
  override idOf (): number { return 0 }
  override compute (v: number[], { payload }: ComputeContext): number[] { return [...v, payload as number] }
}

const sub = (db: AnyDb, name: string): AnyDb => db.sublevel(name, { keyEncoding: 'view', valueEncoding: 'view' }) as unknown as AnyDb

/**
 * Rewrites a version-2 database as version 1 wrote it: HEAD records hold tip signatures, block
 * locations carry no acceptance position, the acceptance log is `'Q'` id -> seq (`log: 'Q'`)
 * or the older `'L'` seq -> id with metas that hold no position (`log: 'L'`); no version keys.
 */
async function asVersion1 (store: Store, log: 'Q' | 'L'): Promise<void> {
  const db = store.repo.db as unknown as AnyDb
  const repo = sub(db, 'repo')
  const st = sub(db, 'store')
  for (const { key, value } of await store.repo.listHeads()) await repo.put(Uint8Array.of(0x00, ...key), value)
  for await (const [k, v] of repo.iterator({ gte: Uint8Array.of(0x05), lt: Uint8Array.of(0x06) })) {
    assert.equal(v.length, 108)
    const id = k.subarray(1)
    const seq = v.subarray(100)
    await repo.put(k, v.slice(0, 100))
    if (log === 'Q') await st.put(Uint8Array.of(0x51, ...id), seq)
    else await st.put(Uint8Array.of(0x4c, ...seq), id)
  }
  if (log === 'L') {
    for await (const [k, v] of st.iterator({ gte: Uint8Array.of(0x4d), lt: Uint8Array.of(0x4e) })) {
      const m = decode(v) as Record<string, unknown>
      delete m.seq
      await st.put(k, encode(m))
    }
  }
  await repo.del(Uint8Array.of(0x09))
  await st.del(VERSION_KEY)
}

describe('store layout version', () => {
  it('a new store gets version 2; each block records its acceptance position with its location, no log record of its own', async () => {
    const { db } = be.open()
    const { store, sum } = open(db)
    await store.load()
    assert.deepEqual(arr(await sub(db, 'store').get(VERSION_KEY)), arr(u64(2)))
    const { sk } = signPair()
    const f = await sum.createBlock(null, 1, sk)
    await sum.createBlock(f, 2, sk)
    const locs = []
    for await (const v of sub(db, 'repo').values({ gte: Uint8Array.of(0x05), lt: Uint8Array.of(0x06) })) locs.push(v)
    assert.deepEqual(locs.map(v => v[107]).sort(), [1, 2])
    assert.equal((await sub(db, 'store').keys({ gte: Uint8Array.of(0x51), lt: Uint8Array.of(0x52) }).all()).length, 0)
    await store.close()
  })

  for (const log of ['Q', 'L'] as const) {
    it(`migration: a version-1 store (acceptance log '${log}') loads its state, its log moves into the locations, replay keeps the order`, async () => {
      const { db, path } = be.open()
      const a = signPair()
      const b = signPair()
      const s1 = new Store(db)
      const order1 = s1.register('order', Order)
      await s1.load()
      for (const [n, sk] of [[1, a.sk], [2, b.sk], [3, a.sk], [4, b.sk]] as const) await order1.createBlock(null, n, sk)
      await asVersion1(s1, log)
      await s1.close()

      const s2 = new Store(be.reopen(path)!)
      const order = s2.register('order', Order)
      await s2.load()
      assert.deepEqual(order.readState(0), [1, 2, 3, 4])
      assert.deepEqual(arr(await sub(s2.repo.db as unknown as AnyDb, 'store').get(VERSION_KEY)), arr(u64(2)))
      assert.deepEqual(arr(await s2.repo.sublevel.get(Uint8Array.of(0x09))), arr(Uint8Array.of(0, 0, 0, 2)))
      const st = sub(s2.repo.db as unknown as AnyDb, 'store')
      assert.equal((await st.keys({ gte: Uint8Array.of(0x51), lt: Uint8Array.of(0x52) }).all()).length, 0, 'no Q records left')
      assert.equal((await st.keys({ gt: Uint8Array.of(0x4c), lt: Uint8Array.of(0x4d) }).all()).length, 0, 'no per-block L records left')
      await order.createBlock(null, 5, a.sk)
      assert.deepEqual(await s2.reload(), ['order'])
      assert.deepEqual(order.readState(0), [1, 2, 3, 4, 5], 'replayed in acceptance order, the new block last')
      assert.deepEqual(arr(await s2.repo.headOf(a.pk)), arr((await s2.repo.loadHead(a.pk))?.last?.sig))
      await s2.close()
    })
  }

  it('migration: a store written without the version keys (version 1) loads its state and gets both keys', async () => {
    const { db, path } = be.open()
    const { sk, pk } = signPair()
    const a = open(db)
    await a.store.load()
    await a.sum.createBlock(null, 3, sk)
    await a.sum.createBlock(null, 4, sk)
    await asVersion1(a.store, 'Q')
    await a.store.close()

    const b = open(be.reopen(path)!)
    await b.store.load()
    assert.equal(b.sum.readState(pk), 7)
    assert.deepEqual(arr(await b.store.repo.db.sublevel('store', { keyEncoding: 'view', valueEncoding: 'view' }).get(VERSION_KEY)), arr(u64(2)))
    assert.deepEqual(arr(await b.store.repo.sublevel.get(Uint8Array.of(0x09))), arr(Uint8Array.of(0, 0, 0, 2)))
    await b.sum.createBlock(null, 1, sk)
    assert.equal(b.sum.readState(pk), 8)
    await b.store.close()
  })

  it('a newer store version refuses load() with StoreError UnsupportedVersion', async () => {
    const { db } = be.open()
    await db.sublevel<Uint8Array, Uint8Array>('store', { keyEncoding: 'view', valueEncoding: 'view' }).put(VERSION_KEY, u64(3))
    const { store } = open(db)
    await assert.rejects(store.load(), (e: unknown) => e instanceof StoreError && e.code === 'UnsupportedVersion')
    assert.equal(store.loaded, false)
    await store.close()
  })

  it('a newer repo version refuses load() with RepoError UnsupportedVersion', async () => {
    const { db } = be.open()
    await db.sublevel<Uint8Array, Uint8Array>('repo', { keyEncoding: 'view', valueEncoding: 'view' }).put(Uint8Array.of(0x09), Uint8Array.of(0, 0, 0, 9))
    const { store } = open(db)
    await assert.rejects(store.load(), (e: unknown) => e instanceof RepoError && e.code === 'UnsupportedVersion')
    await store.close()
  })
})
