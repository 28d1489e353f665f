import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { SimpleKernel } from '../../src/kernel/index.js'
import { NodeKernel } from '../../src/cli/demo.js'
import { swarmNet } from './helpers.js'

/** Total blocks a kernel holds (heights are tip indices of root chains). */
async function blocks (k: SimpleKernel): Promise<number> {
  let n = 0
  for (const c of await k.chains()) n += c.height + 1
  return n
}

/** Resolves once `k` holds `n` blocks; re-checked after every merge, never on a timer. */
async function holds (k: SimpleKernel, n: number): Promise<void> {
  let wake: (() => void) | null = null
  const off = k.store.onMerge(() => wake?.())
  try {
    while (await blocks(k) < n) await new Promise<void>(resolve => { wake = resolve })
  } finally {
    off()
  }
}

async function boot (n: number, t: TestContext): Promise<SimpleKernel[]> {
  const ks: SimpleKernel[] = []
  for (let i = 0; i < n; i++) {
    const k = new NodeKernel()
    await k.boot()
    ks.push(k)
  }
  t.after(async () => { for (const k of ks) await k.halt() })
  return ks
}

test('modem + kernel: five kernels on one hyperswarm topic converge', async t => {
  const { modem } = await swarmNet(t)
  const ks = await boot(5, t)
  for (const k of ks) await modem().join('converge', () => k.spawnWire())
  await Promise.all(ks.map((k, i) => Promise.all([0, 1, 2].map(j => k.createBlock('note', { text: `${i}.${j}` })))))
  await Promise.all(ks.map(k => holds(k, 15)))
  const views = await Promise.all(ks.map(async k => (await k.chains()).map(c => `${Array.from(c.tip).join('.')}`).sort().join('|')))
  for (const v of views) assert.equal(v, views[0])
})

test('modem + kernel: a peer that leaves and rejoins catches up', async t => {
  const { modem } = await swarmNet(t)
  const [a, b, c] = await boot(3, t) as [SimpleKernel, SimpleKernel, SimpleKernel]
  const ma = modem(); const mb = modem(); const mc = modem()
  await ma.join('rejoin', () => a.spawnWire())
  await mb.join('rejoin', () => b.spawnWire())
  await mc.join('rejoin', () => c.spawnWire())
  await a.createBlock('note', { text: 'a1' })
  await Promise.all([holds(b, 1), holds(c, 1)])
  await mc.leave('rejoin')
  await b.createBlock('note', { text: 'b1' })
  await b.createBlock('note', { text: 'b2' })
  await a.createBlock('note', { text: 'a2' })
  await holds(a, 4)
  assert.equal(await blocks(c), 1) // c is away: nothing reached it
  await mc.join('rejoin', () => c.spawnWire())
  await holds(c, 4)
})
