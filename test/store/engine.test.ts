import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Feed, signPair, toHex, fromHex } from '../../src/feed/index.js'
import { Store, Memory, DiffMemory, decodeBlock, encodeBody, type ComputeContext, type StoreEvent } from '../../src/store/index.js'
import { Seq, backends } from './_helpers.js'

class Counter extends Memory<number> {
  override initialValue = 5
  override compute (value: number, { payload, reject }: ComputeContext): number | ReturnType<ComputeContext['reject']> {
    if (typeof payload !== 'number' || payload <= value) return reject('MustIncrease')
    return payload
  }
}


function chain (sk: string, root: string, payloads: unknown[], start = new Feed()): Feed {
  const f = start.clone()
  let d = 1700000000000
  for (const p of payloads) f.append(encodeBody(root, p, d++), sk)
  return f
}

for (const be of backends) {
  describe(`store engine on ${be.name}`, () => {
    it('counter across two stores; loud rejection leaves state; reload reproduces', async () => {
      const { sk, pk } = signPair()
      const a = new Store(be.open().db)
      const ca = a.register('counter', Counter)
      await a.load()
      const f = await ca.createBlock(null, 7, sk)
      assert.equal(ca.readState(pk), 7)
      assert.equal(f.length, 1)
      await assert.rejects(ca.createBlock(f, 2, sk), { code: 'Rejected', message: 'MustIncrease' })
      assert.equal(ca.readState(pk), 7)
      assert.equal(f.length, 1) // the caller's feed is never modified (S17)
      const f1 = await ca.createBlock(f, 10, sk)
      const tip = await ca.createBlock(null, 12, sk) // null: the signer's own chain
      assert.equal(tip.length, 2)
      const f2 = f1.clone()
      f2.merge(tip)
      assert.equal(ca.readState(pk), 12)
      assert.equal(f2.length, 3)

      const b = new Store(be.open().db)
      const cb = b.register('counter', Counter)
      await b.load()
      const res = await b.dispatch(f2.buffer, { source: 'peer' })
      assert.equal(res.accepted.length, 1)
      assert.equal(res.accepted[0]?.length, 3)
      assert.equal(cb.readState(pk), 12)
      assert.deepEqual(await a.reload(), ['counter'])
      assert.equal(ca.readState(pk), 12)
      await a.close(); await b.close()
    })

    it('never computes a block twice; a repeated feed is a no-op', async () => {
      const { sk } = signPair()
      const s = new Store(be.open().db)
      const m = s.register('seq', Seq)
      await s.load()
      const f = chain(sk, 'seq', [1, 2, 3, 4, 5])
      await s.dispatch(f.slice(0, 3))
      await s.dispatch(f)
      const again = await s.dispatch(f)
      assert.deepEqual(again, { accepted: [], rejected: [], postponed: 0, stashed: 0 })
      assert.deepEqual(m.computed, [1, 2, 3, 4, 5])
      assert.equal(m.readState(0), 5)
      await s.close()
    })

    it('verifies each block once and checks storage first', async () => {
      const { sk } = signPair()
      const s = new Store(be.open().db)
      s.register('seq', Seq)
      await s.load()
      const bytes = chain(sk, 'seq', [1, 2, 3, 4]).buffer.slice()
      const before = Feed.__vctr
      await s.dispatch(bytes)
      assert.equal(Feed.__vctr - before, 4)
      await s.dispatch(bytes)
      assert.equal(Feed.__vctr - before, 4)
      await s.close()
    })

    it('concurrent overlapping dispatches end consistent', async () => {
      const { sk } = signPair()
      const s = new Store(be.open().db)
      const m = s.register('seq', Seq)
      await s.load()
      const f = chain(sk, 'seq', [1, 2, 3, 4, 5, 6, 7])
      await Promise.all([s.dispatch(f.slice(0, 5)), s.dispatch(f), s.dispatch(f.slice(0, 5))])
      assert.equal(m.readState(0), 7)
      for (const b of f.blocks) assert.ok(await s.repo.hasBlock(b.sig))
      await s.close()
    })

    it('mempool: out-of-order blocks wait and apply when the parent arrives', async () => {
      const { sk } = signPair()
      const s = new Store(be.open().db)
      const m = s.register('seq', Seq)
      await s.load()
      const f = chain(sk, 'seq', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
      assert.equal((await s.dispatch(f.slice(0, 1))).accepted.length, 1)
      assert.equal((await s.dispatch(f.slice(2, 3))).stashed, 1)
      const r = await s.dispatch(f.slice(1, 2))
      assert.equal(m.readState(0), 3)
      assert.deepEqual(r.accepted.map(x => x.length), [1, 1])
      assert.equal((await s.dispatch(f.slice(4, 7))).stashed, 3)
      assert.equal((await s.dispatch(f.slice(8, 10))).stashed, 2)
      assert.equal((await s.dispatch(f.slice(7, 8))).stashed, 1)
      assert.equal(m.readState(0), 3)
      // a full re-send is fine (no "Backward merge failed")
      await s.dispatch(f.slice(3, 4))
      assert.equal(m.readState(0), 10)
      await s.close()
    })

    it('detached mode: two chains of one author into one list', async () => {
      class List extends Memory<number[]> {
        override initialValue: number[] = []
        override idOf (): number { return 0 }
        override compute (v: number[], { payload }: ComputeContext): number[] { return [...v, payload as number] }
      }
      const { sk } = signPair()
      const s = new Store(be.open().db, { allowDetached: true })
      const l = s.register('list', List)
      await s.load()
      await s.dispatch(chain(sk, 'list', [1, 7]))
      await s.dispatch(chain(sk, 'list', [2, 9]))
      assert.deepEqual(l.readState(0), [1, 7, 2, 9])
      await s.close()
    })

    it('compute context shape and read-only values', async () => {
      const { sk, pk } = signPair()
      let seen: ComputeContext | undefined
      let threw = false
      class Probe extends Memory<{ x: number }> {
        override initialValue = { x: 1 }
        override compute (v: { x: number }, ctx: ComputeContext): { x: number } {
          seen = ctx
          try { (v as { x: number }).x = 3 } catch { threw = true }
          return { x: v.x + 1 }
        }
      }
      const s = new Store(be.open().db)
      const p = s.register('probe', Probe)
      await s.load()
      const f = await p.createBlock(null, { hello: 'world' }, sk)
      assert.ok(threw)
      assert.ok(seen !== undefined)
      assert.equal(seen.AUTHOR, pk)
      assert.equal(seen.CHAIN, toHex(f.first!.sig))
      assert.equal(seen.parentBlock, null)
      assert.equal(seen.root, 'probe')
      assert.deepEqual(seen.payload, { hello: 'world' })
      assert.equal(typeof seen.date, 'number')
      assert.equal(seen.id, pk)
      for (const fn of ['reject', 'postpone', 'lookup', 'index', 'signal'] as const) assert.equal(typeof seen[fn], 'function')
      assert.deepEqual(p.readState(pk), { x: 2 })
      await s.close()
    })

    it('signals reach traps inside the same commit', async () => {
      class X extends Memory<number> {
        override initialValue = 0
        override idOf (): number { return 0 }
        override compute (v: number, { payload, reject, signal }: ComputeContext): number | ReturnType<ComputeContext['reject']> {
          if ((payload as number) <= v) return reject('MustIncrease')
          if ((payload as number) % 2 === 0) signal('even-value', payload)
          return payload as number
        }
      }
      let traps = 0
      class Y extends Memory<number> {
        override initialValue = 0
        override idOf (): number { return 0 }
        override compute (_v: number, { reject }: ComputeContext): ReturnType<ComputeContext['reject']> { return reject('Never') }
        override async trap (type: string, payload: unknown, mutate: (id: number, fn: (v: unknown) => unknown) => Promise<void>): Promise<void> {
          if (type !== 'even-value') return
          traps++
          await mutate(0, () => payload)
        }
      }
      const { sk } = signPair()
      const s = new Store(be.open().db)
      const x = s.register('x', X)
      const y = s.register('y', Y)
      await s.load()
      let f = await x.createBlock(null, 1, sk)
      assert.equal(traps, 0)
      f = await x.createBlock(f, 2, sk)
      assert.equal(traps, 1)
      f = await x.createBlock(f, 3, sk)
      await x.createBlock(f, 4, sk)
      assert.equal(traps, 2)
      assert.equal(x.readState(0), 4)
      assert.equal(y.readState(0), 4)
      await s.close()
    })

    it('subscriptions: sync first call, after commit, isolated errors, unsubscribe', async () => {
      const { sk } = signPair()
      const s = new Store(be.open().db)
      const peers = s.register('peers', DiffMemory)
      await s.load()
      const events: StoreEvent[] = []
      s.tap(e => events.push(e))
      let calls = 0
      const unsub = s.on('peers', () => { calls++ })
      s.on('peers', () => { if (calls > 1) throw new Error('ui bug') })
      assert.equal(calls, 1)
      let f: Feed | null = null
      for (let i = 0; i < 5; i++) f = await peers.mutate(f, v => ({ ...v, n: i }), sk)
      assert.equal(calls, 6)
      unsub()
      await peers.mutate(f, v => ({ ...v, n: 9 }), sk)
      assert.equal(calls, 6)
      assert.ok(events.some(e => e.event === 'error'))
      const seen: unknown[] = []
      s.$('peers')(v => seen.push(v))
      assert.equal(seen.length, 1)
      await s.close()
    })

    it('onMerge gets the accepted segments and the source', async () => {
      const { sk } = signPair()
      const s = new Store(be.open().db)
      s.register('seq', Seq)
      await s.load()
      const got: Array<[number, unknown]> = []
      s.onMerge((feeds, src) => { got.push([feeds.reduce((n, f) => n + f.length, 0), src]) })
      await s.dispatch(chain(sk, 'seq', [1, 2, 3]), { source: 'wire-1' })
      assert.deepEqual(got, [[3, 'wire-1']])
      await s.close()
    })

    it('persists per object; load() after restart restores without reload()', async function () {
      if (be.name === 'memory-level') return
      const { sk, pk } = signPair()
      const { db, path } = be.open()
      const s = new Store(db)
      const c = s.register('counter', Counter)
      await s.load()
      let f = await c.createBlock(null, 6, sk)
      f = await c.createBlock(f, 8, sk)
      await s.close()
      const s2 = new Store(be.reopen(path)!)
      const c2 = s2.register('counter', Counter)
      await s2.load()
      assert.equal(c2.readState(pk), 8)
      assert.equal(c2.version, 2)
      assert.deepEqual(c2.head, f.last!.sig)
      await c2.createBlock(null, 9, sk)
      assert.equal(c2.readState(pk), 9)
      await s2.close()
    })

    it('operations after close reject with Closed; close is idempotent', async () => {
      const s = new Store(be.open().db)
      s.register('seq', Seq)
      await s.load()
      await s.close()
      await s.close()
      await assert.rejects(s.dispatch(new Feed()), { code: 'Closed' })
      await assert.rejects(s.load(), { code: 'Closed' })
      await assert.rejects(s.gc(), { code: 'Closed' })
      await assert.rejects(s.reload(), { code: 'Closed' })
      await assert.rejects(s.createBlock('seq', 1, signPair().sk), { code: 'Closed' })
    })

    it('decodeBlock gives { type, ...payload, date } as the seed example reads it', () => {
      const b = decodeBlock(encodeBody('tick', { time: 42 }, 7))
      assert.deepEqual(b, { type: 'tick', time: 42, date: 7 })
      assert.deepEqual(decodeBlock(encodeBody('n', 3, 7)), { type: 'n', payload: 3, date: 7 })
      assert.equal(toHex(encodeBody('counter', { n: 2 }, 1700000000000)), '8367636f756e746572a1616e021b0000018bcfe56800')
      assert.ok(fromHex('00').length === 1)
    })
  })
}
