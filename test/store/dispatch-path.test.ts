// The per-block dispatch path, made cheaper, behaves as before: a slice's reducer still sees
// what its filter did to the context, and a database whose own encodings are not 'view' (its
// operations then carry per-op encodings) stores the very same records as a 'view' one.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { MemoryLevel } from 'memory-level'
import { Feed, signPair } from '../../src/feed/index.js'
import { Store, Memory, encodeBody, type ComputeContext } from '../../src/store/index.js'
import type { RepoDb } from '../../src/repo/index.js'

class Sum extends Memory<number> {
  override initialValue = 0
  override compute (v: number, { payload }: ComputeContext): number { return v + (payload as number) }
}

/** `n` blocks of `authors` chains, interleaved, each a feed of its own (as live gossip delivers them). */
function blocks (authors: number, n: number): Feed[] {
  const out: Feed[][] = []
  for (let a = 0; a < authors; a++) {
    const { sk } = signPair()
    const f = new Feed()
    const mine: Feed[] = []
    for (let i = 0; i < n; i++) {
      f.append(encodeBody(i % 2 === 0 ? 'sum' : 'clock', i, 1_700_000_000_000 + i), sk)
      mine.push(f.slice(f.length - 1))
    }
    out.push(mine)
  }
  const order: Feed[] = []
  for (let i = 0; i < n; i++) for (const m of out) order.push(m[i] as Feed)
  return order
}

async function entries (db: MemoryLevel<Uint8Array, Uint8Array>): Promise<string[]> {
  const out: string[] = []
  for await (const [k, v] of db.iterator({ keyEncoding: 'view', valueEncoding: 'view' })) {
    out.push(Buffer.from(k).toString('hex') + '=' + Buffer.from(v).toString('hex'))
  }
  return out
}

function open (db: unknown): Store {
  const s = new Store(db as RepoDb)
  s.register('sum', Sum)
  s.register<number>({ name: 'clock', initialValue: 0, reducer: ({ block, state }) => state + block.body.length })
  return s
}

describe('store dispatch path', () => {
  it('a reducer sees the properties its filter added to or removed from the context', async () => {
    const { sk } = signPair()
    const seen: Array<Record<string, unknown>> = []
    const s = new Store(new MemoryLevel({ keyEncoding: 'view', valueEncoding: 'view' }) as unknown as RepoDb)
    s.register<number>({
      name: 'n',
      initialValue: 0,
      filter (ctx) {
        const c = ctx as unknown as Record<string, unknown>
        if (ctx.state === 1) c.note = 'from the filter'
        if (ctx.state === 2) delete c.AUTHOR
      },
      reducer (ctx) {
        seen.push({ ...ctx })
        ctx.signal('noted')
        return ctx.state + 1
      }
    })
    await s.load()
    for (let i = 0; i < 3; i++) await s.createBlock('n', i, sk)
    assert.deepEqual(seen.map(c => Object.keys(c)), [
      ['block', 'parentBlock', 'owner', 'signer', 'AUTHOR', 'CHAIN', 'state', 'root', 'signal'],
      ['block', 'parentBlock', 'owner', 'signer', 'AUTHOR', 'CHAIN', 'state', 'root', 'note', 'signal'],
      ['block', 'parentBlock', 'owner', 'signer', 'CHAIN', 'state', 'root', 'signal']
    ])
    assert.equal(seen[1]?.note, 'from the filter')
    assert.equal(s.state.n, 3)
    await s.close()
  })

  it('a database with other default encodings stores the same records as a \'view\' one', async () => {
    const feeds = blocks(3, 6)
    const view = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
    const utf8 = new MemoryLevel<Uint8Array, Uint8Array>() // utf8 by default: every operation names 'view'
    const a = open(view)
    const b = open(utf8)
    await a.load()
    await b.load()
    for (const f of feeds) {
      const [ra, rb] = [await a.dispatch(f), await b.dispatch(f)]
      assert.equal(ra.accepted.length, 1)
      assert.equal(rb.accepted.length, 1)
    }
    assert.deepEqual(b.state, a.state)
    assert.deepEqual(await entries(utf8), await entries(view))
    const again = open(utf8)
    await again.load() // reads back what it wrote
    assert.deepEqual(again.state, a.state)
    assert.equal((await again.repo.listChains()).length, 3)
    await a.close()
    await b.close()
  })
})
