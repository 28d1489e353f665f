// The store's layout-version key: written by the first load(), checked by every load().
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { signPair } from '../../src/feed/index.js'
import { RepoError } from '../../src/repo/index.js'
import { Store, Memory, StoreError, type ComputeContext } from '../../src/store/index.js'
import { backends } from './_helpers.js'

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

describe('store layout version', () => {
  it('migration: a store written without the version keys loads its state and gets both keys', async () => {
    const { db, path } = be.open()
    const { sk, pk } = signPair()
    const a = open(db)
    await a.store.load()
    assert.deepEqual(arr(await a.store.repo.db.sublevel('store', { keyEncoding: 'view', valueEncoding: 'view' }).get(VERSION_KEY)), arr(u64(1)))
    await a.sum.createBlock(null, 3, sk)
    await a.sum.createBlock(null, 4, sk)
    // As written before the keys existed.
    await a.store.repo.db.sublevel('store', { keyEncoding: 'view', valueEncoding: 'view' }).del(VERSION_KEY)
    await a.store.repo.sublevel.del(Uint8Array.of(0x09))
    await a.store.close()

    const b = open(be.reopen(path)!)
    await b.store.load()
    assert.equal(b.sum.readState(pk), 7)
    assert.deepEqual(arr(await b.store.repo.db.sublevel('store', { keyEncoding: 'view', valueEncoding: 'view' }).get(VERSION_KEY)), arr(u64(1)))
    assert.deepEqual(arr(await b.store.repo.sublevel.get(Uint8Array.of(0x09))), arr(Uint8Array.of(0, 0, 0, 1)))
    await b.sum.createBlock(null, 1, sk)
    assert.equal(b.sum.readState(pk), 8)
    await b.store.close()
  })

  it('a newer store version refuses load() with StoreError UnsupportedVersion', async () => {
    const { db } = be.open()
    await db.sublevel<Uint8Array, Uint8Array>('store', { keyEncoding: 'view', valueEncoding: 'view' }).put(VERSION_KEY, u64(2))
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
