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
  it('a new database gets version 2 on its first operation', async () => {
    const db = mkdb()
    const repo = new Repo(db)
    assert.equal(await repo.sublevel.get(VERSION_KEY), undefined)
    assert.equal(await repo.headOf(new Uint8Array(32)), undefined)
    assert.deepEqual(arr(await repo.sublevel.get(VERSION_KEY)), arr(u32(2)))
    await repo.open() // idempotent
    await repo.close()
  })

  // Version 1 kept HEAD as owner -> tip signature; version 2 keeps owner -> chain id.
  async function asVersion1 (repo: Repo, version: Uint8Array | undefined): Promise<void> {
    for (const { key, value } of await repo.listHeads()) await repo.sublevel.put(Uint8Array.of(0x00, ...key), value)
    if (version === undefined) await repo.sublevel.del(VERSION_KEY)
    else await repo.sublevel.put(VERSION_KEY, version)
  }

  for (const [what, version] of [['without the key', undefined], ['with version 1', u32(1)]] as const) {
    it(`migration: a version-1 database (${what}) opens, keeps its blocks and heads, HEAD records become chain ids`, async () => {
      const db = mkdb()
      const a = signPair()
      const b = signPair()
      const fa = new Feed()
      fa.append('a', a.sk); fa.append('b', a.sk)
      const fb = new Feed()
      fb.append('c', b.sk)
      const old = new Repo(db)
      assert.equal(await old.merge(fa), 2)
      assert.equal(await old.merge(fb), 1)
      await asVersion1(old, version)
      // a HEAD whose tip is not stored (a damaged version-1 database) is dropped
      const stray = new Uint8Array(32).fill(9)
      await old.sublevel.put(Uint8Array.of(0x00, ...stray), new Uint8Array(64).fill(3))
      assert.deepEqual(arr(await old.sublevel.get(Uint8Array.of(0x00, ...fromHex(a.pk)))), arr(fa.last!.sig))

      const repo = new Repo(db)
      await repo.open()
      assert.deepEqual(arr(await repo.sublevel.get(VERSION_KEY)), arr(u32(2)))
      assert.deepEqual(arr(await repo.sublevel.get(Uint8Array.of(0x00, ...fromHex(a.pk)))), arr(fa.first!.sig), 'HEAD names the chain')
      assert.deepEqual(arr(await repo.headOf(a.pk)), arr(fa.last!.sig))
      assert.deepEqual(arr(await repo.headOf(b.pk)), arr(fb.last!.sig))
      assert.equal(await repo.sublevel.get(Uint8Array.of(0x00, ...stray)), undefined)
      assert.equal((await repo.loadHead(fromHex(a.pk)))?.length, 2)
      fa.append('d', a.sk)
      assert.equal(await repo.merge(fa), 1)
      assert.deepEqual(arr(await repo.headOf(a.pk)), arr(fa.last!.sig))
      assert.equal((await repo.listHeads()).length, 2)
      await repo.close()
    })
  }

  for (const [what, value] of [['a newer version', u32(3)], ['a malformed version record', Uint8Array.of(1)]] as const) {
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
