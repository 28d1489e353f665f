import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { encode } from 'cborg'
import { Feed, signPair, fromHex, type Block } from '../../src/feed/index.js'
import { Store, Memory, DiffMemory, decodeBlock, encodeBody, type ComputeContext, type StoreEvent, type Latch } from '../../src/store/index.js'
import { backends } from './_helpers.js'

class Seq extends Memory<number> {
  override initialValue = 0
  override idOf (): number { return 0 }
  override compute (value: number, { payload, reject }: ComputeContext): number | ReturnType<ComputeContext['reject']> {
    if (payload !== value + 1) return reject('NotNext')
    return payload as number
  }
}

function append (f: Feed, sk: string, root: string, payload: unknown): Feed {
  f.append(encodeBody(root, payload, 1700000000000 + f.length), sk)
  return f
}

function waitFor (s: Store, pred: (e: StoreEvent) => boolean): Promise<StoreEvent> {
  return new Promise(resolve => { const off = s.tap(e => { if (pred(e)) { off(); resolve(e) } }) })
}

for (const be of backends) {
  describe(`store behaviour on ${be.name}`, () => {
    it('bad input: each bad block is refused alone; the store stays usable', async () => {
      const { sk } = signPair()
      class Thrower extends Memory<number> {
        override initialValue = 0
        override compute (): number { throw new Error('boom') }
      }
      class Undef extends Memory<number> {
        override compute (): number { return undefined as unknown as number }
      }
      const s = new Store(be.open().db)
      const seq = s.register('seq', Seq)
      s.register('thrower', Thrower)
      s.register('undef', Undef)
      s.register({ name: 'sliceThrow', reducer: () => { throw new Error('reducer boom') }, filter: ({ block }) => decodeBlock(block.body).type !== 'st' })
      s.register({ name: 'sliceUndef', reducer: () => undefined, filter: ({ block }) => decodeBlock(block.body).type !== 'su' })
      await s.load()
      const cases: Array<[string, Uint8Array, RegExp]> = [
        ['undecodable', Uint8Array.of(0xff, 0x01), /UnrecognizedBlockFormat/],
        ['not an array', encode({ a: 1 }), /UnrecognizedBlockFormat/],
        ['unknown type', encodeBody('nope', 1), /UnknownCollection/],
        ['throwing compute', encodeBody('thrower', 1), /ComputeFailed: boom/],
        ['undefined compute', encodeBody('undef', 1), /ComputeReturnedUndefined/],
        ['throwing reducer', encodeBody('st', 1), /ReducerFailed: reducer boom/],
        ['undefined reducer', encodeBody('su', 1), /ReducerReturnedUndefined/]
      ]
      for (const [name, body, re] of cases) {
        const f = new Feed()
        const { sk: k } = signPair()
        f.append(body, k)
        const r = await s.dispatch(f)
        assert.equal(r.rejected.length, 1, name)
        assert.match(r.rejected[0]!.reason, re, name)
        assert.equal(r.accepted.length, 0, name)
        assert.equal(await s.repo.hasBlock(f.last!.sig), false, name)
      }
      // loud: typed errors
      const g = new Feed()
      g.append(Uint8Array.of(0xff), sk)
      await assert.rejects(s.dispatch(g, { loud: true }), { code: 'UnrecognizedBlockFormat' })
      await assert.rejects(s.createBlock('nope', 1, sk), { code: 'UnknownCollection' })
      // forged: a flipped byte in the body fails verification, alone
      const good = append(append(new Feed(), sk, 'seq', 1), sk, 'seq', 2)
      const bytes = good.buffer.slice()
      bytes[bytes.length - 1] ^= 1
      const forged = Feed.from(bytes, true)
      const r = await s.dispatch(forged)
      assert.equal(r.accepted[0]?.length, 1)
      assert.equal(r.rejected[0]?.reason, 'SignatureVerificationFailed')
      assert.equal(seq.readState(0), 1)
      // unrelated feed: its genesis needs no parent, its continuation is an orphan
      const other = append(append(new Feed(), signPair().sk, 'seq', 5), sk, 'seq', 6)
      const r2 = await s.dispatch(other.slice(1))
      assert.equal(r2.stashed, 1)
      // still usable
      assert.equal((await s.dispatch(good)).accepted[0]?.length, 1)
      assert.equal(seq.readState(0), 2)
      await s.close()
    })

    it('postpone retries later, then accepts when the dependency arrives', async () => {
      class Dep extends Memory<number> {
        override initialValue = 0
        override compute (_v: number, { payload, postpone }: ComputeContext): number | ReturnType<ComputeContext['postpone']> {
          const want = (payload as { needs: string }).needs
          if (!this.store.roots.get('base')!.hasState(want)) return postpone(5, 'NoBase', 50)
          return 1
        }
      }
      class Base extends Memory<number> {
        override compute (): number { return 1 }
      }
      const a = signPair(); const b = signPair()
      const s = new Store(be.open().db)
      const dep = s.register('dep', Dep)
      s.register('base', Base)
      await s.load()
      const accepted = new Promise<void>(resolve => { s.onMerge(feeds => { if (feeds.some(f => decodeBlock(f.last!.body).type === 'dep')) resolve() }) })
      const postponed = waitFor(s, e => e.event === 'postponed')
      const r = await s.dispatch(append(new Feed(), a.sk, 'dep', { needs: b.pk }))
      assert.equal(r.postponed, 1)
      await postponed
      await s.dispatch(append(new Feed(), b.sk, 'base', 1))
      await accepted
      assert.equal(dep.readState(a.pk), 1)
      await s.close()
    })

    it('postpone gives up after its retry count and rejects', async () => {
      const { sk } = signPair()
      let calls = 0
      class Never extends Memory<number> {
        override compute (_v: number, { postpone }: ComputeContext): ReturnType<ComputeContext['postpone']> { calls++; return postpone(1, 'NotYet', 2) }
      }
      const s = new Store(be.open().db)
      s.register('never', Never)
      await s.load()
      const rejected = waitFor(s, e => e.event === 'rejected')
      await s.dispatch(append(new Feed(), sk, 'never', 1))
      const e = await rejected
      assert.equal(e.event === 'rejected' && e.reason, 'NotYet')
      assert.equal(calls, 3)
      await s.close()
    })

    it('GC: counter expires, references fall, the chain is evicted and not resurrected', async () => {
      const { sk, pk } = signPair()
      class Counter extends DiffMemory<{ x: number }> {
        override initialValue = { x: 0 }
        override idOf (): number { return 0 }
        override expiresAt (): number { return 0 }
      }
      const s = new Store(be.open().db)
      const c = s.register('counter', Counter)
      await s.load()
      assert.equal(c.readState(0).x, 0)
      const f = await c.mutate(null, () => ({ x: 4 }), sk)
      assert.equal(c.readState(0).x, 4)
      assert.equal(await s.referencesOf(pk), 1)
      const evicted = await s.gc(Date.now() + 30_000)
      assert.equal(evicted.length, 1)
      assert.equal(c.readState(0).x, 0)
      assert.equal(await s.referencesOf(pk), 0)
      assert.equal(await s.repo.hasBlock(f.last!.sig), false)
      const again = await s.dispatch(f)
      assert.equal(again.accepted.length, 0)
      assert.equal(again.rejected[0]?.reason, 'Evicted')
      assert.deepEqual(await s.reload(), [])
      await s.close()
    })

    it('GC: latch follows another object; not-yet-due objects are rescheduled', async () => {
      const a = signPair()
      const now = Date.now()
      class Profile extends Memory<{ ttl: number }> {
        override compute (_v: unknown, { payload }: ComputeContext): { ttl: number } { return { ttl: payload as number } }
        override expiresAt (v: { ttl: number }): number { return now + v.ttl }
      }
      class Note extends Memory<number> {
        override idOf ({ block }: ComputeContext): Uint8Array { return block.sig }
        override compute (): number { return 1 }
        override expiresAt (_v: number, latch: Latch): number { return latch('profile', this.store.roots.get('profile')!.hasState(a.pk) ? a.pk : '') }
      }
      const s = new Store(be.open().db, { allowDetached: false })
      const p = s.register('profile', Profile)
      const n = s.register('note', Note)
      await s.load()
      const f = await p.createBlock(null, 1000, a.sk)
      await n.createBlock(f, 0, a.sk)
      assert.equal(Object.keys(n.state).length, 1)
      assert.deepEqual(await s.gc(now + 500), [])
      assert.equal(Object.keys(n.state).length, 1)
      const ev = await s.gc(now + 2000)
      assert.equal(ev.length, 1)
      assert.equal(ev[0]!.length, 2)
      assert.equal(Object.keys(p.state).length, 0)
      assert.equal(Object.keys(n.state).length, 0)
      await s.close()
    })

    it('gcStart runs periodically and stops on abort', async () => {
      const { sk } = signPair()
      class Short extends Memory<number> {
        override compute (): number { return 1 }
        override expiresAt (): number { return 1 }
      }
      const s = new Store(be.open().db)
      s.register('short', Short)
      await s.load()
      await s.createBlock('short', 1, sk)
      const ac = new AbortController()
      const rolled = waitFor(s, e => e.event === 'rollback')
      s.gcStart({ intervalMs: 5, signal: ac.signal })
      await rolled
      ac.abort()
      await s.close()
    })

    it('slices: the seed clock example, silent ignore, string rejection', async () => {
      const { sk } = signPair()
      const s = new Store(be.open().db)
      s.register({
        name: 'clock',
        initialValue: 0,
        filter ({ block }) {
          const { type, time } = decodeBlock(block.body)
          if (type !== 'tick') return true
          if ((time as number) > Date.now() + 60_000) return 'TimestampFromFuture'
        },
        reducer ({ block }) {
          const { time } = decodeBlock(block.body)
          return time as number
        }
      })
      s.register('seq', Seq)
      await s.load()
      const seen: unknown[] = []
      s.on('clock', v => seen.push(v))
      const t = Date.now()
      const feed = await s.createBlock('tick', { time: t }, sk)
      assert.equal(feed.last!.sig.length, 64)
      assert.equal(s.state.clock, t)
      await assert.rejects(s.createBlock('tick', { time: t + 3_600_000 }, sk), { code: 'Rejected', message: 'TimestampFromFuture' })
      await s.createBlock('seq', 1, sk) // a Memory block passes the slice's silent filter
      assert.deepEqual(seen, [0, t])
      assert.equal(s.state.clock, t)
      await s.close()
    })

    it('merge strategy refusal rejects the block and leaves state untouched (S1)', async () => {
      const { sk } = signPair()
      const s = new Store(be.open().db)
      const seq = s.register('seq', Seq)
      await s.load()
      await s.dispatch(append(new Feed(), sk, 'seq', 1))
      const second = append(new Feed(), sk, 'seq', 2) // a second genesis of the same author
      const r = await s.dispatch(second)
      assert.equal(r.rejected[0]?.reason, 'Refused')
      assert.equal(seq.readState(0), 1)
      assert.equal(await s.repo.hasBlock(second.first!.sig), false)
      await s.close()
    })

    it('lock honours an aborted signal', async () => {
      const s = new Store(be.open().db)
      s.register('seq', Seq)
      await s.load()
      const ac = new AbortController()
      ac.abort(new Error('stop'))
      await assert.rejects(s.dispatch(append(new Feed(), signPair().sk, 'seq', 1), { signal: ac.signal }), /stop/)
      await s.close()
    })

    it('index and lookup, cleaned on sweep', async () => {
      const { sk, pk } = signPair()
      class Posts extends Memory<number> {
        override idOf ({ block }: ComputeContext): Uint8Array { return block.sig }
        override async compute (_v: number, { index, lookup, AUTHOR }: ComputeContext): Promise<number> {
          const prev = await lookup(AUTHOR)
          index(AUTHOR)
          return prev === undefined ? 1 : 2
        }
        override expiresAt (v: number): number { return v === 1 ? 10 : Infinity }
      }
      const s = new Store(be.open().db)
      const p = s.register('posts', Posts)
      await s.load()
      const f = await p.createBlock(null, 0, sk)
      assert.deepEqual(await p.lookup(pk), f.last!.sig)
      const f2 = await p.createBlock(f, 0, sk)
      assert.equal(p.readState(f2.last!.sig), 2)
      await s.gc(100)
      assert.deepEqual(await p.lookup(pk), f2.last!.sig)
      assert.equal(fromHex(pk).length, 32)
      await s.close()
    })
  })
}

export type { Block }
