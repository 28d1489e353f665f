import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SimpleKernel } from '../src/kernel/index.js'
import { Memory } from '../src/store/index.js'
class Count extends Memory<number> { override initialValue = 0; override compute (n: number): number { return n + 1 } }
const N = Number(process.argv[2] ?? 3000)
const inflight = process.argv[3] === 'b'
const kind = process.argv[4] ?? 'classic'
const d = mkdtempSync(join(tmpdir(), 'perfstore-prof-'))
const payload = new Uint8Array(86).fill(7)
for (let round = 0; round < 3; round++) {
  const k = new SimpleKernel(kind === 'memory' ? undefined : join(d, String(round)))
  k.store.register('x', Count)
  await k.boot()
  let batches = 0
  const db = k.db as unknown as { batch: (...a: unknown[]) => Promise<void> }
  const orig = db.batch.bind(db)
  db.batch = async (...a: unknown[]) => { batches++; return await orig(...a) }
  const c0 = process.cpuUsage(); const t0 = performance.now()
  if (inflight) await Promise.all(Array.from({ length: N }, async () => await k.createBlock('x', payload)))
  else for (let i = 0; i < N; i++) await k.createBlock('x', payload)
  const ms = performance.now() - t0; const c = process.cpuUsage(c0)
  console.log(`${inflight ? 'in flight' : 'awaited'} ${kind}: ${(N / ms * 1000).toFixed(0)} blocks/s, CPU ${((c.user + c.system) / N).toFixed(0)} us/block, ${batches} batches`)
  await k.halt()
}
rmSync(d, { recursive: true, force: true })
