// The repo's layout-version key: written on first open, checked on every open.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { MemoryLevel } from 'memory-level'
import { Feed, fromHex, signPair } from '../../src/feed/index.js'
import { Repo, RepoError } from '../../src/repo/index.js'

const VERSION_KEY = Uint8Array.of(0x09)
const u32 = (n: number): Uint8Array => Uint8Array.of(n >>> 24, n >>> 16, n >>> 8, n)
const arr = (b: Uint8Array | undefined): number[] | undefined => b === undefined ? undefined : [...b]
const mkdb = (): MemoryLevel<Uint8Array, Uint8Array> => new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })

describe('repo layout version', () => {
  it('a new database gets version 1 on its first operation', async () => {
    const db = mkdb()
    const repo = new Repo(db)
    assert.equal(await repo.sublevel.get(VERSION_KEY), undefined)
    assert.equal(await repo.headOf(new Uint8Array(32)), undefined)
    assert.deepEqual(arr(await repo.sublevel.get(VERSION_KEY)), arr(u32(1)))
    await repo.open() // idempotent
    await repo.close()
  })

  it('migration: a database written without the key (the version-1 layout) opens, keeps its blocks and gets the key', async () => {
    const db = mkdb()
    const { sk, pk } = signPair()
    const f = new Feed()
    f.append('a', sk); f.append('b', sk)
    const old = new Repo(db)
    assert.equal(await old.merge(f), 2)
    await old.sublevel.del(VERSION_KEY) // as written before the key existed
    const repo = new Repo(db)
    await repo.open()
    assert.deepEqual(arr(await repo.sublevel.get(VERSION_KEY)), arr(u32(1)))
    assert.equal((await repo.loadHead(fromHex(pk)))?.length, 2)
    await repo.close()
  })

  for (const [what, value] of [['a newer version', u32(2)], ['a malformed version record', Uint8Array.of(1)]] as const) {
    it(`${what} is refused with UnsupportedVersion by open() and by every operation, nothing written`, async () => {
      const db = mkdb()
      await db.sublevel<Uint8Array, Uint8Array>('repo', { keyEncoding: 'view', valueEncoding: 'view' }).put(VERSION_KEY, value)
      const repo = new Repo(db)
      await assert.rejects(repo.open(), (e: unknown) => e instanceof RepoError && e.code === 'UnsupportedVersion')
      await assert.rejects(repo.hasBlock(new Uint8Array(64)), (e: unknown) => e instanceof RepoError && e.code === 'UnsupportedVersion')
      const f = new Feed()
      f.append('a', signPair().sk)
      await assert.rejects(repo.merge(f), (e: unknown) => e instanceof RepoError && e.code === 'UnsupportedVersion')
      assert.deepEqual(arr(await repo.sublevel.get(VERSION_KEY)), arr(value))
      assert.equal((await repo.sublevel.keys().all()).length, 1)
      await repo.close()
    })
  }
})
