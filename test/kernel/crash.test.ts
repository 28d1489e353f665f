// Durability of createBlock on the kernel's default database (classic-level in a folder): a
// child creates blocks (awaited one by one, or a few in flight) and is SIGKILLed at random
// moments; every block whose createBlock resolved must be stored after the restart, and the
// collection's persisted state must count exactly the blocks of the chain. Seeded by the run's
// seed (test/helpers/seed.ts); the kill points are logged.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ClassicLevel } from 'classic-level'
import { SimpleKernel } from '../../src/kernel/index.js'
import { Memory } from '../../src/store/index.js'
import { fromHex, toHex } from '../../src/feed/index.js'
import { runUntilKilled } from '../helpers/crash.js'
import { seededBytes, seededRandom, testSeed } from '../helpers/seed.js'

const here = dirname(fileURLToPath(import.meta.url))
const ROUNDS = 6

class Count extends Memory<number> {
  override initialValue = 0
  override compute (n: number): number { return n + 1 }
}

async function runChild (path: string, seed: number, sk: string, killAfter: number): Promise<string[]> {
  return await runUntilKilled(join(here, 'fixtures', 'crash-child.ts'), [path, String(seed), sk], killAfter)
}

test(`kernel on classic-level: ${ROUNDS} random SIGKILLs lose no block whose createBlock resolved`, async t => {
  const dir = mkdtempSync(join(tmpdir(), 'pico-kernel-crash-'))
  const path = join(dir, 'db')
  const random = seededRandom(0x6b11)
  const sk = toHex(seededBytes(random, 32))
  const drawn: string[] = []
  const committed: string[] = []
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const killAfter = 1 + Math.floor(random() * 200)
      const childSeed = Math.floor(random() * 2 ** 32)
      drawn.push(`${killAfter}/${childSeed}`)
      const ids = await runChild(path, childSeed, sk, killAfter)
      assert.ok(ids.length >= killAfter)
      committed.push(...ids)
      const k = new SimpleKernel(path, { secret: sk })
      const count = k.store.register('x', Count)
      await k.boot()
      for (const id of committed) assert.ok(await k.repo.hasBlock(fromHex(id)), `block ${id.slice(0, 8)} lost in round ${round}`)
      const height = await k.seq()
      assert.ok(height >= committed.length)
      assert.equal(count.readState(k.pk), height, `state counts ${String(count.readState(k.pk))} of ${height} blocks in round ${round}`)
      await k.halt()
    }
  } finally {
    t.diagnostic(`seed ${testSeed}: kill after / child seed per round: ${drawn.join(' ')}`)
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the default database writes batches of byte, text and delete operations as given, through hooks and events', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pico-kernel-db-'))
  try {
    const k = new SimpleKernel(join(dir, 'db'))
    await k.boot()
    const db = k.db as unknown as ClassicLevel<Uint8Array, Uint8Array>
    const small = Uint8Array.of(1, 2, 3)
    const big = new Uint8Array(300).fill(9)
    await db.batch([
      { type: 'put', key: Uint8Array.of(0xee, 1), value: small },
      { type: 'put', key: Uint8Array.of(0xee, 2), value: big.subarray(10, 200) },
      { type: 'put', key: Uint8Array.of(0xee, 3), value: new Uint8Array(0) },
      { type: 'put', key: Uint8Array.of(0xee, 4), value: small }
    ])
    await db.batch([
      { type: 'del', key: Uint8Array.of(0xee, 4) },
      { type: 'put', key: 'text-key', value: 'text-value', keyEncoding: 'utf8', valueEncoding: 'utf8' } as never
    ])
    const read = async (key: Uint8Array): Promise<number[] | undefined> => { const v = await db.get(key); return v === undefined ? undefined : [...v] }
    assert.deepEqual(await read(Uint8Array.of(0xee, 1)), [...small])
    assert.deepEqual(await read(Uint8Array.of(0xee, 2)), [...big.subarray(10, 200)])
    assert.deepEqual(await read(Uint8Array.of(0xee, 3)), [])
    assert.equal(await db.get(Uint8Array.of(0xee, 4)), undefined)
    assert.equal(await db.get('text-key' as never, { keyEncoding: 'utf8', valueEncoding: 'utf8' } as never), 'text-value')
    // a prewrite hook and a 'write' listener see plain batches too
    const written: unknown[] = []
    db.on('write', (ops: unknown[]) => { written.push(...ops) })
    db.hooks.prewrite.add((op, batch) => {
      if (op.type === 'put' && (op.key as Uint8Array)[1] === 7) batch.add({ type: 'put', key: Uint8Array.of(0xee, 8), value: small })
    })
    await db.batch([{ type: 'put', key: Uint8Array.of(0xee, 7), value: small }])
    assert.deepEqual(await read(Uint8Array.of(0xee, 8)), [...small])
    assert.equal(written.length, 2)
    // a batch with a bad operation fails whole
    await assert.rejects(db.batch([{ type: 'put', key: Uint8Array.of(0xee, 5), value: small }, { type: 'nope', key: Uint8Array.of(0xee, 6) } as never]))
    assert.equal(await db.get(Uint8Array.of(0xee, 5)), undefined)
    await k.halt()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
