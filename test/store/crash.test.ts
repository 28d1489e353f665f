// Crash safety on classic-level: a child ingests blocks and is SIGKILLed at random moments
// (after N committed blocks, N random); after each restart load() must equal a full replay,
// byte for byte, and every block the child reported as committed must be stored.
// Seeded by the run's seed (test/helpers/seed.ts): the secrets, the kill points and the
// children's choices are logged and replay with FC_SEED=<seed>.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ClassicLevel } from 'classic-level'
import { encode, decode } from 'cborg'
import { fromHex, toHex } from '../../src/feed/index.js'
import { runUntilKilled } from '../helpers/crash.js'
import { seededBytes, seededRandom, testSeed } from '../helpers/seed.js'
import { crashStore } from './fixtures/crash-rules.js'
import { tempDir, type AnyDb } from './_helpers.js'

const here = dirname(fileURLToPath(import.meta.url))
const ROUNDS = 20

async function runChild (path: string, seed: number, secrets: string[], killAfter: number): Promise<string[]> {
  return await runUntilKilled(join(here, 'fixtures', 'crash-child.ts'), [path, String(seed), ...secrets], killAfter)
}

function canonical (x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v))
    ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0))
    : v)
}

async function dump (db: AnyDb): Promise<string[]> {
  const out: string[] = []
  for (const name of ['store', 'store-gc']) {
    const sub = db.sublevel<Uint8Array, Uint8Array>(name, { keyEncoding: 'view', valueEncoding: 'view' })
    for await (const [k, v] of sub.iterator()) {
      // The acceptance log (L, Q) is kept by reload; everything else is derived and must match.
      if (name === 'store' && (k[0] === 0x4c || k[0] === 0x51)) continue
      // A meta's `seq` is the log position when it was written (log bookkeeping, not derived).
      if (name === 'store' && k[0] === 0x4d) {
        const { seq: _seq, ...meta } = decode(v) as Record<string, unknown>
        out.push(toHex(k) + '=' + toHex(encode(meta)))
        continue
      }
      out.push(toHex(k) + '=' + toHex(v))
    }
  }
  return out
}

describe('crash safety (classic-level, SIGKILL)', () => {
  it(`${ROUNDS} random kills: load() equals replay, no committed block lost`, async t => {
    const path = join(tempDir(), 'crash')
    const random = seededRandom(0xc7a5)
    const secrets = [0, 1, 2].map(() => toHex(seededBytes(random, 32)))
    t.diagnostic(`seed ${testSeed}: secrets ${secrets.map(s => s.slice(0, 8)).join(' ')}`)
    const committed: string[] = []
    const drawn: string[] = []
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const killAfter = 1 + Math.floor(random() * 25)
        const childSeed = Math.floor(random() * 2 ** 32)
        drawn.push(`${killAfter}/${childSeed}`)
        const ids = await runChild(path, childSeed, secrets, killAfter)
        assert.ok(ids.length >= killAfter)
        committed.push(...ids)

        const db = new ClassicLevel(path, { keyEncoding: 'view', valueEncoding: 'view' }) as unknown as AnyDb
        const store = crashStore(db)
        await store.load()
        for (const id of committed) assert.ok(await store.repo.hasBlock(fromHex(id)), `committed block ${id.slice(0, 8)} lost in round ${round}`)
        const loaded = canonical(store.state)
        const versions = [...store.roots.values()].map(m => m.version)
        const before = await dump(db)
        await store.reload()
        assert.equal(canonical(store.state), loaded, `state differs from replay in round ${round}`)
        assert.deepEqual([...store.roots.values()].map(m => m.version), versions)
        assert.deepEqual(await dump(db), before, `persisted objects differ from replay in round ${round}`)
        await store.close()
      }
    } finally {
      t.diagnostic(`kill after / child seed per round: ${drawn.join(' ')}`)
    }
    assert.ok(committed.length >= ROUNDS)
  })
})
