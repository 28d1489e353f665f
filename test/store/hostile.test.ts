// Hostile peers and careless rules (tracker issue #9): owned chains, rejection codes,
// re-entrant calls, expiries at any number, every call after close().
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Feed, signPair, fromHex, toHex } from '../../src/feed/index.js'
import { Repo, RepoError } from '../../src/repo/index.js'
import {
  Store, Memory, DiffMemory, StoreError, encodeBody, decodeBlock,
  type ComputeContext, type DispatchContext, type RejectionCode, type StoreEvent
} from '../../src/store/index.js'
import { Seq, backends } from './_helpers.js'
import { decodeEntry, encodeEntry } from '../../src/store/entry.js'
import { stateKey, timerKey } from '../../src/store/keys.js'

/** Sums its payloads, per chain owner; records who it saw. */
class Sum extends Memory<number> {
  override initialValue = 0
  seen: Array<{ owner: string, signer: string, AUTHOR: string }> = []
  override compute (v: number, ctx: ComputeContext): number {
    this.seen.push({ owner: toHex(ctx.owner), signer: toHex(ctx.signer), AUTHOR: ctx.AUTHOR })
    return v + (ctx.payload as number)
  }
}

function block (sk: string, root: string, payload: unknown, start = new Feed()): Feed {
  const f = start.clone()
  f.append(encodeBody(root, payload, 1700000000000 + f.length), sk)
  return f
}

/** Rejects with `code` (and the store's reason) when the promise rejects with a StoreError. */
async function code (p: Promise<unknown>): Promise<string> {
  try { await p } catch (err) {
    assert.ok(err instanceof StoreError, String(err))
    return err.code
  }
  return 'resolved'
}

for (const be of backends) {
  describe(`store against hostile peers on ${be.name}`, () => {
    it('chains are owned by default: a stranger\'s block on K\'s head is rejected NotOwner, before any rule; K goes on without a fork', async () => {
      const s = new Store(be.open().db)
      assert.equal(s.repo.appendPolicy, 'owner')
      const sum = s.register('sum', Sum)
      const sliceSeen: string[] = []
      s.register({ name: 'all', initialValue: 0, reducer: ({ state }) => { sliceSeen.push('r'); return (state as number) + 1 } })
      await s.load()
      const K = signPair()
      const X = signPair()
      const k1 = await sum.createBlock(null, 1, K.sk)
      assert.equal(sum.readState(K.pk), 1)
      const runs = sum.seen.length
      const slices = sliceSeen.length
      // dispatched by a peer
      const evil = block(X.sk, 'sum', 100, k1)
      const r = await s.dispatch(evil)
      assert.equal(r.accepted.length, 0)
      assert.equal(r.rejected.length, 1)
      assert.equal(r.rejected[0]?.code, 'NotOwner')
      assert.match(r.rejected[0]!.reason, /^NotOwner/)
      assert.equal(await s.repo.hasBlock(evil.last!.sig), false)
      // created locally on K's chain with another key
      assert.equal(await code(s.createBlock('sum', 100, X.sk, { branch: fromHex(K.pk) })), 'NotOwner')
      assert.equal(await code(s.dispatch(evil, { loud: true })), 'NotOwner')
      // no rule ran, no state changed
      assert.equal(sum.seen.length, runs)
      assert.equal(sliceSeen.length, slices)
      assert.equal(sum.readState(K.pk), 1)
      assert.equal(s.state.all, 1)
      // K's own next block extends K's chain: no fork
      const k2 = await sum.createBlock(null, 2, K.sk)
      assert.equal(sum.readState(K.pk), 3)
      assert.deepEqual(await s.repo.headOf(fromHex(K.pk)), k2.last!.sig)
      assert.deepEqual(k2.last!.psig, k1.last!.sig)
      const chains = await s.repo.listChains(fromHex(K.pk))
      assert.equal(chains.length, 1)
      assert.equal(chains[0]?.height, 1)
      await s.close()
    })

    it('appendPolicy any: a stranger\'s block is accepted and every rule sees owner ≠ signer', async () => {
      const s = new Store(be.open().db, { appendPolicy: 'any' })
      assert.equal(s.repo.appendPolicy, 'any')
      const sum = s.register('sum', Sum)
      const filterSaw: Array<[string, string]> = []
      const reducerSaw: Array<[string, string]> = []
      s.register({
        name: 'log',
        initialValue: 0,
        filter: ({ owner, signer }) => { filterSaw.push([toHex(owner), toHex(signer)]); return false },
        reducer: ({ state, owner, signer }) => { reducerSaw.push([toHex(owner), toHex(signer)]); return (state as number) + 1 }
      })
      await s.load()
      const K = signPair()
      const X = signPair()
      const k1 = await sum.createBlock(null, 1, K.sk)
      const r = await s.dispatch(block(X.sk, 'sum', 10, k1))
      assert.equal(r.rejected.length, 0)
      assert.equal(r.accepted[0]?.length, 1)
      assert.equal(sum.readState(K.pk), 11) // the chain owner's object: AUTHOR stays the owner
      assert.deepEqual(sum.seen.at(-1), { owner: K.pk, signer: X.pk, AUTHOR: K.pk })
      assert.deepEqual(filterSaw.at(-1), [K.pk, X.pk])
      assert.deepEqual(reducerSaw.at(-1), [K.pk, X.pk])
      assert.deepEqual(sum.seen[0], { owner: K.pk, signer: K.pk, AUTHOR: K.pk })
      await s.close()
    })

    it('spec A9.6 with appendPolicy any: two alternating signers on one chain, each block reduced once', async () => {
      const A = signPair()
      const B = signPair()
      let f = new Feed()
      for (let i = 1; i <= 5; i++) f = block(i % 2 === 1 ? A.sk : B.sk, 'seq', i, f)
      const multi = new Store(be.open().db, { appendPolicy: 'any' })
      const seq = multi.register('seq', Seq)
      await multi.load()
      await multi.dispatch(f.slice(0, 3))
      await multi.dispatch(f)
      await multi.dispatch(f)
      assert.deepEqual(seq.computed, [1, 2, 3, 4, 5])
      assert.equal(seq.readState(0), 5)
      await multi.close()
      const owned = new Store(be.open().db)
      const seq2 = owned.register('seq', Seq)
      await owned.load()
      const r = await owned.dispatch(f)
      assert.equal(r.accepted[0]?.length, 1)
      assert.equal(r.rejected[0]?.code, 'NotOwner')
      assert.deepEqual(seq2.computed, [1])
      await owned.close()
    })

    it('appendPolicy: invalid values and a repo with another policy are refused', () => {
      const db = be.open().db
      assert.throws(() => new Store(db, { appendPolicy: 'x' as 'any' }), TypeError)
      const repo = new Repo(db, [], { appendPolicy: 'any' })
      assert.throws(() => new Store(repo, { appendPolicy: 'owner' }), TypeError)
      assert.equal(new Store(repo).repo.appendPolicy, 'any')
    })

    it('every rejection has a stable code; the application\'s reason never looks like a built-in code', async () => {
      class Rules extends Memory<unknown> {
        override initialValue = 0
        override idOf (ctx: DispatchContext): string {
          if (ctx.payload === 'badId') throw new Error('no id')
          return ctx.AUTHOR
        }

        override compute (v: unknown, { payload, reject, postpone }: ComputeContext): unknown {
          if (payload === 'throw') throw new Error('boom')
          if (payload === 'undef') return undefined
          if (payload === 'spoof') return reject('SignatureVerificationFailed: haha')
          if (payload === 'later') return postpone(1, 'NotYet', 0)
          if (payload === 'bytes') return () => 1 // not CBOR-encodable
          if (payload === 'nanexp') return 99
          return (v as number) + 1
        }

        override expiresAt (v: unknown): number { return v === 99 ? NaN : Infinity }
      }
      const s = new Store(be.open().db)
      s.register('rules', Rules)
      s.register({ name: 'filtered', filter: ({ block }) => decodeBlock(block.body).type !== 'f' ? true : 'NoF', reducer: () => 1 })
      s.register({ name: 'failing', filter: ({ block }) => { if (decodeBlock(block.body).type === 'ff') throw new Error('x'); return true }, reducer: () => 1 })
      await s.load()
      const cases: Array<[Uint8Array, RejectionCode, RegExp]> = [
        [Uint8Array.of(0xff), 'UnrecognizedBlockFormat', /^UnrecognizedBlockFormat/],
        [encodeBody('nope', 1), 'UnknownCollection', /^UnknownCollection: nope/],
        [encodeBody('rules', 'badId'), 'InvalidObjectId', /^InvalidObjectId: no id/],
        [encodeBody('rules', 'throw'), 'ComputeFailed', /^ComputeFailed: boom/],
        [encodeBody('rules', 'undef'), 'ComputeReturnedUndefined', /^ComputeReturnedUndefined/],
        [encodeBody('rules', 'spoof'), 'Rejected', /^SignatureVerificationFailed: haha$/],
        [encodeBody('rules', 'later'), 'Postponed', /^NotYet$/],
        [encodeBody('rules', 'bytes'), 'UnencodableState', /^UnencodableState/],
        [encodeBody('f', 1), 'Rejected', /^NoF$/],
        [encodeBody('ff', 1), 'FilterFailed', /^FilterFailed: x/]
      ]
      for (const [body, want, re] of cases) {
        const f = new Feed()
        f.append(body, signPair().sk)
        const events: StoreEvent[] = []
        const off = s.tap(e => { events.push(e) })
        const r = await s.dispatch(f)
        off()
        assert.equal(r.rejected[0]?.code, want, re.source)
        assert.match(r.rejected[0]!.reason, re)
        const ev = events.find(e => e.event === 'rejected')
        assert.equal(ev?.event === 'rejected' && ev.code, want)
        const err = await s.dispatch(f, { loud: true }).then(() => undefined, (e: unknown) => e)
        assert.ok(err instanceof StoreError, re.source)
        assert.equal(err.code, want)
        assert.equal(err.reason, r.rejected[0]!.reason)
      }
      // a forged block
      const good = block(signPair().sk, 'rules', 1)
      const bytes = good.buffer.slice()
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1
      const r = await s.dispatch(Feed.from(bytes, true))
      assert.equal(r.rejected[0]?.code, 'SignatureVerificationFailed')
      // an invalid expiry
      const bad = await s.dispatch(block(signPair().sk, 'rules', 'nanexp'))
      assert.equal(bad.rejected[0]?.code, 'InvalidExpiry')
      await s.close()
    })

    it('re-entrant dispatch and createBlock from inside compute, a reducer or a filter fail fast with Reentrant', async () => {
      const errors: unknown[] = []
      const ref: { s?: Store } = {}
      const other = block(signPair().sk, 'plain', 1)
      const later = block(signPair().sk, 'plain', 1)
      let laterDone: () => void = () => {}
      const laterAccepted = new Promise<void>(resolve => { laterDone = resolve })
      class Nested extends Memory<number> {
        override initialValue = 0
        override async compute (v: number, { payload }: ComputeContext): Promise<number> {
          const store = ref.s as Store
          if (payload === 'dispatch') await store.dispatch(other).catch((e: unknown) => { errors.push(e) })
          if (payload === 'afterAwait') {
            // after awaits (a read, a turn of the event loop) the rule still holds the lock
            await store.repo.hasBlock(other.last!.sig)
            await new Promise(resolve => setImmediate(resolve))
            await store.dispatch(other).catch((e: unknown) => { errors.push(e) })
          }
          if (payload === 'later') {
            // deferred past the rule's end: an ordinary call, not a re-entry
            setImmediate(() => { store.dispatch(later).then(() => { laterDone() }, (e: unknown) => { errors.push(e) }) })
          }
          if (payload === 'create') await store.createBlock('plain', 1, signPair().sk).catch((e: unknown) => { errors.push(e) })
          if (payload === 'sync') { store.dispatch(other).catch((e: unknown) => { errors.push(e) }) }
          if (payload === 'gc') await store.gc().catch((e: unknown) => { errors.push(e) })
          if (payload === 'mutate') await prof.mutate(null, p => ({ ...p, name: 'x' }), signPair().sk).catch((e: unknown) => { errors.push(e) })
          return v + 1
        }
      }
      class Plain extends Memory<number> {
        override initialValue = 0
        override compute (v: number): number { return v + 1 }
      }
      const s = new Store(be.open().db)
      ref.s = s
      const nested = s.register('nested', Nested)
      s.register('plain', Plain)
      const prof = s.register('profile', class extends DiffMemory {})
      s.register({
        name: 'sliced',
        filter: ({ block: b }) => {
          const t = decodeBlock(b.body).type
          if (t === 'viaFilter') s.dispatch(other).catch((e: unknown) => { errors.push(e) })
          return t !== 'viaFilter' && t !== 'viaReducer'
        },
        reducer: ({ block: b }) => {
          if (decodeBlock(b.body).type === 'viaReducer') s.createBlock('plain', 1, signPair().sk).catch((e: unknown) => { errors.push(e) })
          return 1
        }
      })
      await s.load()
      const { sk, pk } = signPair()
      const deadline = AbortSignal.timeout(20_000) // an upper bound: a deadlock fails the test
      const guarded = async (p: Promise<unknown>): Promise<void> => {
        await Promise.race([p, new Promise((_resolve, reject) => { deadline.addEventListener('abort', () => { reject(new Error('deadlock')) }) })])
      }
      for (const p of ['dispatch', 'afterAwait', 'create', 'sync', 'gc', 'mutate', 'later']) await guarded(nested.createBlock(null, p, sk))
      await guarded(laterAccepted)
      await guarded(s.createBlock('viaFilter', 1, sk))
      await guarded(s.createBlock('viaReducer', 1, sk))
      assert.equal(errors.length, 8)
      for (const e of errors) assert.ok(e instanceof StoreError && e.code === 'Reentrant', String(e))
      assert.equal(nested.readState(pk), 7) // the outer blocks were accepted
      assert.equal(await s.repo.hasBlock(later.last!.sig), true)
      assert.equal(await s.repo.hasBlock(other.last!.sig), false)
      // outside any rule, the same calls work
      await s.dispatch(other)
      assert.equal(await s.repo.hasBlock(other.last!.sig), true)
      await s.close()
    })

    it('expiries at any finite number are honoured (rounded up to the ms); NaN, -Infinity and non-numbers are refused', async () => {
      const { db, path } = be.open()
      class Timed extends Memory<unknown> {
        override initialValue = 0
        override idOf (ctx: DispatchContext): string { return String((ctx.payload as { id: string }).id) }
        override compute (_v: unknown, { payload }: ComputeContext): unknown { return (payload as { exp: unknown }).exp }
        override expiresAt (v: unknown): number { return (v === 'nan' ? NaN : v === '-inf' ? -Infinity : v === 'str' ? 'soon' : v) as number }
      }
      const open = (d: typeof db): { s: Store, t: Timed } => {
        const s = new Store(d)
        return { s, t: s.register('timed', Timed) }
      }
      let { s, t } = open(db)
      await s.load()
      const { sk } = signPair()
      const put = async (id: string, exp: unknown): Promise<string> => await code(s.createBlock('timed', { id, exp }, sk))
      assert.equal(await put('frac', 1000.25), 'resolved')
      assert.equal(await put('neg', -5.5), 'resolved')
      assert.equal(await put('huge', 1e300), 'resolved')
      assert.equal(await put('never', Infinity), 'resolved')
      for (const bad of ['nan', '-inf', 'str']) assert.equal(await put(bad, bad), 'InvalidExpiry')
      assert.equal(t.hasState('nan'), false)
      // Kept across a restart where the backend persists.
      const again = be.reopen(path)
      if (again !== undefined) {
        await s.close()
        ;({ s, t } = open(again))
        await s.load()
      }
      await s.gc(0)
      assert.deepEqual(Object.keys(t.state).sort(), ['frac', 'huge', 'never'])
      await s.gc(1000)
      assert.deepEqual(Object.keys(t.state).sort(), ['frac', 'huge', 'never'])
      await s.gc(1000.5)
      assert.deepEqual(Object.keys(t.state).sort(), ['frac', 'huge', 'never'])
      await s.gc(1001)
      assert.deepEqual(Object.keys(t.state).sort(), ['huge', 'never'])
      await s.gc(Date.now() + 1e12)
      assert.deepEqual(Object.keys(t.state).sort(), ['huge', 'never'])
      await s.gc(Number.MAX_SAFE_INTEGER)
      assert.deepEqual(Object.keys(t.state), ['never'])
      await s.close()
    })

    it('expiry: an object a store before the fix wrote (fractional expiry, timer at its floor) is still swept', async () => {
      class Timed extends Memory<number> {
        override initialValue = 0
        override compute (_v: number, { payload }: ComputeContext): number { return payload as number }
        override expiresAt (v: number): number { return v }
      }
      const { db } = be.open()
      const s = new Store(db)
      const t = s.register('timed', Timed)
      await s.load()
      const { sk, pk } = signPair()
      await t.createBlock(null, 1000, sk)
      // Rewrite it as the old code did: exp 1000.5 in the entry, the timer keyed by floor(1000.5).
      const name = new TextEncoder().encode('timed')
      const st = db.sublevel<Uint8Array, Uint8Array>('store', { keyEncoding: 'view', valueEncoding: 'view' })
      const gcs = db.sublevel<Uint8Array, Uint8Array>('store-gc', { keyEncoding: 'view', valueEncoding: 'view' })
      const entry = decodeEntry((await st.get(stateKey(name, pk)))!)
      await st.put(stateKey(name, pk), encodeEntry({ ...entry, exp: 1000.5 }))
      await gcs.del(timerKey(1000, name, pk))
      await gcs.put(timerKey(1000, name, pk), new Uint8Array(0))
      const s2 = new Store(s.repo)
      const t2 = s2.register('timed', Timed)
      await s2.load()
      await s2.gc(1000)
      assert.equal(t2.hasState(pk), true) // due at 1001 (rounded up), timer moved there
      await s2.gc(1001)
      assert.equal(t2.hasState(pk), false)
      assert.deepEqual(await gcs.keys().all(), [])
      await s2.close()
    })

    for (const when of ['closed', 'closing'] as const) {
      it(`lifecycle: every Store (and Memory) call on a ${when} store is StoreError Closed`, async () => {
        class Profiles extends DiffMemory {}
        const s = new Store(be.open().db)
        const sum = s.register('sum', Sum)
        const prof = s.register('profile', Profiles)
        await s.load()
        const { sk, pk } = signPair()
        const f = await sum.createBlock(null, 1, sk)
        const $sum = s.$('sum')
        const closing = s.close()
        if (when === 'closed') {
          await closing
          await s.close() // idempotent
        }
        s.gcStop() // idempotent
        const calls: Array<[string, () => unknown]> = [
          ['register', () => s.register('late', Sum)],
          ['load', () => s.load()],
          ['dispatch', () => s.dispatch(f)],
          ['createBlock', () => s.createBlock('sum', 1, sk)],
          ['readBranch', () => s.readBranch(null, fromHex(pk))],
          ['reload', () => s.reload()],
          ['referencesOf', () => s.referencesOf(pk)],
          ['gc', () => s.gc()],
          ['gcStart', () => s.gcStart()],
          ['on', () => s.on('sum', () => {})],
          ['$', () => s.$('sum')],
          ['$ subscribed after close', () => $sum(() => {})],
          ['tap', () => s.tap(() => {})],
          ['onMerge', () => s.onMerge(() => {})],
          ['Memory.lookup', () => sum.lookup('k')],
          ['Memory.createBlock', () => sum.createBlock(null, 1, sk)],
          ['Memory.sub', () => sum.sub(() => {})],
          ['DiffMemory.mutate', () => prof.mutate(null, p => ({ ...p, name: 'x' }), sk)]
        ]
        for (const [name, call] of calls) {
          let err: unknown
          try { await call() } catch (e) { err = e }
          assert.ok(err instanceof StoreError, `${name}: ${String(err)}`)
          assert.equal(err.code, 'Closed', name)
        }
        await closing
        // state already read stays readable
        assert.equal(sum.readState(pk), 1)
        await assert.rejects(s.repo.hasBlock(f.last!.sig), (e: unknown) => e instanceof RepoError && e.code === 'Closed')
      })
    }
  })
}
