// Concurrent work on one store: createBlock calls that race on one chain, and group commit
// (dispatches that end while others wait share one batch, and each returns only once written).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Feed, fromHex, signPair } from '../../src/feed/index.js'
import { Store, Memory, encodeBody, type ComputeContext, type StoreEvent } from '../../src/store/index.js'
import { backends, type AnyDb, type Backend } from './_helpers.js'

class Sum extends Memory<number> {
  override initialValue = 0
  override compute (value: number, { payload }: ComputeContext): number { return value + (payload as number) }
}

/** Counts the batches written to `db` and can make the next ones fail. */
function instrument (db: AnyDb): { batches: () => number, failNext: (n: number) => void } {
  let batches = 0
  let failing = 0
  const batch = db.batch.bind(db) as (...args: unknown[]) => Promise<void>
  ;(db as unknown as { batch: (...args: unknown[]) => Promise<void> }).batch = async (...args: unknown[]) => {
    if (Array.isArray(args[0]) && failing > 0) { failing--; throw new Error('disk full') }
    if (Array.isArray(args[0])) batches++
    return await batch(...args)
  }
  return { batches: () => batches, failNext: (n) => { failing = n } }
}

function feedOf (sk: string, n: number): Uint8Array {
  const f = new Feed()
  for (let i = 0; i < n; i++) f.append(encodeBody('sum', 1, 1700000000000 + i), sk)
  return f.buffer.slice()
}

/** A loaded store with a `sum` collection on a fresh database of `backend`. */
async function openStore (backend: Backend, memory: typeof Sum = Sum): Promise<{ s: Store, m: Sum, db: AnyDb, path: string }> {
  const { db, path } = backend.open()
  const s = new Store(db)
  const m = s.register('sum', memory)
  await s.load()
  return { s, m, db, path }
}

/** After a restart (persistent backends only): the state of `pk` and the length of its chain. */
async function reopened (backend: Backend, path: string, pk: string): Promise<{ state: number, length: number | undefined } | undefined> {
  const again = backend.reopen(path)
  if (again === undefined) return undefined
  const s = new Store(again)
  const m = s.register('sum', Sum)
  await s.load()
  const out = { state: m.readState(pk), length: (await s.repo.loadHead(fromHex(pk)))?.length }
  await s.close()
  return out
}

for (const backend of backends) {
  describe(`store concurrency (${backend.name})`, () => {
    it('createBlock calls racing on one chain each extend the block the previous one created', async () => {
      const { s, m, path } = await openStore(backend)
      const { sk, pk } = signPair()
      const feeds = await Promise.all(Array.from({ length: 20 }, async (_, i) => await m.createBlock(null, i + 1, sk)))
      assert.equal(m.readState(pk), 210)
      const tips = feeds.map(f => f.last?.sig)
      for (let i = 1; i < feeds.length; i++) assert.deepEqual(feeds[i]?.last?.psig, tips[i - 1], `block ${i} extends block ${i - 1}`)
      const stored = await s.repo.loadHead(fromHex(pk))
      assert.equal(stored?.length, 20)
      await s.close()
      const after = await reopened(backend, path, pk)
      if (after !== undefined) assert.deepEqual(after, { state: 210, length: 20 })
    })

    it('dispatches that end while others wait share batches, and each returns once its blocks are written', async () => {
      const { s, m, db } = await openStore(backend)
      const { batches } = instrument(db)
      const authors = Array.from({ length: 30 }, () => signPair())
      const written: boolean[] = []
      const results = await Promise.all(authors.map(async (a) => {
        const res = await s.dispatch(feedOf(a.sk, 3))
        written.push(await s.repo.hasBlock(res.accepted[0]?.last?.sig as Uint8Array)) // durable when returned
        return res
      }))
      assert.ok(results.every(r => r.accepted.length === 1 && r.accepted[0]?.length === 3))
      assert.ok(written.every(Boolean))
      for (const a of authors) assert.equal(m.readState(a.pk), 3)
      assert.ok(batches() < authors.length, `${batches()} batches for ${authors.length} dispatches`)
      await s.close()
    })

    it('a group whose batch fails rejects every member and leaves the store as before it', async () => {
      const { s, m, db } = await openStore(backend)
      const { failNext } = instrument(db)
      const { sk, pk } = signPair()
      await m.createBlock(null, 1, sk)
      const events: StoreEvent[] = []
      s.tap(e => events.push(e))
      failNext(1)
      const outcomes = await Promise.allSettled(Array.from({ length: 5 }, async () => await m.createBlock(null, 1, sk)))
      // All five were queued before the first finished: one group, one failed batch, five rejections.
      const failed = outcomes.filter(o => o.status === 'rejected')
      assert.equal(failed.length, 5)
      for (const f of failed) assert.match(String((f as PromiseRejectedResult).reason), /disk full/)
      const ok = outcomes.length - failed.length
      assert.equal(m.readState(pk), 1 + ok)
      assert.equal((await s.repo.loadHead(fromHex(pk)))?.length, 1 + ok)
      assert.equal(events.filter(e => e.event === 'patch-merged').length, ok)
      // Still usable, continuing from the last written block.
      await m.createBlock(null, 1, sk)
      assert.equal(m.readState(pk), 2 + ok)
      assert.equal((await s.repo.loadHead(fromHex(pk)))?.length, 2 + ok)
      await s.close()
    })

    it('close() with calls in flight: each call is written and resolves, or rejects Closed; a reopen sees exactly the resolved ones', async () => {
      let closing: Promise<void> | undefined
      const ref: { store?: Store } = {}
      // close() is called from inside the first block's compute: that call holds the lock, the rest wait.
      class Closer extends Sum {
        override compute (value: number, ctx: ComputeContext): number {
          closing ??= ref.store?.close()
          return super.compute(value, ctx)
        }
      }
      const { s, m, path } = await openStore(backend, Closer)
      ref.store = s
      const { sk, pk } = signPair()
      const outcomes = await Promise.allSettled(Array.from({ length: 12 }, async () => await m.createBlock(null, 1, sk)))
      await closing
      const ok = outcomes.filter(o => o.status === 'fulfilled').length
      for (const o of outcomes) if (o.status === 'rejected') assert.equal((o.reason as { code?: string }).code, 'Closed')
      assert.equal(outcomes[0]?.status, 'fulfilled') // staged before close(): written by it
      assert.equal(ok, 1)
      const after = await reopened(backend, path, pk)
      if (after !== undefined) assert.deepEqual(after, { state: ok, length: ok })
    })

    it('patch-merged is delivered after the batch that holds the patch', async () => {
      const { s } = await openStore(backend)
      const checks: Array<Promise<boolean>> = []
      s.tap(e => { if (e.event === 'patch-merged') checks.push(s.repo.hasBlock(e.patch.last?.sig as Uint8Array)) })
      await Promise.all(Array.from({ length: 10 }, async () => await s.dispatch(feedOf(signPair().sk, 2))))
      assert.equal(checks.length, 10)
      assert.ok((await Promise.all(checks)).every(Boolean))
      await s.close()
    })
  })
}
