// Compatibility with the published @telamon/picostore 3.0.4 (block bodies and resulting state).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { MemoryLevel } from 'memory-level'
import * as PicoStore from '@telamon/picostore'
import * as PicoFeed from 'picofeed'
import type { Feed} from '../../src/feed/index.js';
import { signPair } from '../../src/feed/index.js'
import { Store, Memory, DiffMemory, type ComputeContext } from '../../src/store/index.js'
import { backends } from './_helpers.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any
const { Store: OStore, Memory: OMemory, DiffMemory: ODiffMemory } = PicoStore as Any

function plain (x: unknown): unknown { return JSON.parse(JSON.stringify(x)) }

// The same rules, written once for each engine.
function sumRule (value: number, payload: unknown, reject: (m: string) => unknown): unknown {
  if (typeof payload !== 'number' || payload <= 0) return reject('MustBePositive')
  return value + payload
}

class OurCounter extends Memory<number> {
  override initialValue = 0
  override compute (v: number, { payload, reject }: ComputeContext): number { return sumRule(v, payload, reject) as number }
}
class OurProfile extends DiffMemory {}

function originalStore (): Any {
  const s = new OStore(new MemoryLevel({ keyEncoding: 'view', valueEncoding: 'view' }))
  s.register('counter', class extends OMemory {
    initialValue = 0
    compute (v: number, { payload, reject }: Any): unknown { return sumRule(v, payload, reject) }
  })
  s.register('profile', class extends ODiffMemory {})
  return s
}

for (const be of backends) {
  describe(`picostore 3.0.4 compatibility on ${be.name}`, () => {
    it('a feed created by picostore 3.0.4 yields the same state here', async () => {
      const { sk, pk } = PicoFeed.Feed.signPair()
      const o = originalStore()
      await o.load()
      let f = await o.roots.counter.createBlock(null, 3, sk)
      f = await o.roots.counter.createBlock(f, 4, sk)
      await assert.rejects(o.roots.counter.createBlock(f.clone(), -1, sk))
      f = await o.roots.profile.mutate(f, () => ({ name: 'alice', hp: 3 }), sk)
      f = await o.roots.profile.mutate(f, (p: Any) => ({ ...p, hp: p.hp + 2 }), sk)
      const full = await o.repo.loadHead(PicoFeed.toU8(pk))
      assert.equal(full.length, 4)

      const s = new Store(be.open().db)
      const c = s.register('counter', OurCounter)
      const p = s.register('profile', OurProfile)
      await s.load()
      const r = await s.dispatch(full.buffer)
      assert.equal(r.accepted[0]?.length, 4)
      assert.deepEqual(plain(c.state), plain(o.roots.counter.state))
      assert.deepEqual(plain(p.state), plain(o.roots.profile.state))
      assert.equal(c.readState(pk), 7)
      await s.close()
    })

    it('a feed created here yields the same state in picostore 3.0.4', async () => {
      const { sk, pk } = signPair()
      const s = new Store(be.open().db)
      const c = s.register('counter', OurCounter)
      await s.load()
      let f: Feed | null = null
      for (const n of [1, 2, 3, 5]) f = await c.createBlock(f, n, sk)
      assert.equal(c.readState(pk), 11)
      const o = originalStore()
      await o.load()
      const merged = await o.dispatch(PicoFeed.feedFrom(f!.buffer), true)
      assert.equal(merged.length, 4)
      assert.deepEqual(plain(o.roots.counter.state), plain(c.state))
      await s.close()
    })
  })
}
