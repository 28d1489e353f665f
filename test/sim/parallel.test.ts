// Parallel runs (runParallel, `picostack sim --workers N`): peers in worker threads, the
// network replayed alike in each, windows of the least latency. Deterministic for a seed and a
// number of workers; scripted faults work; the adversary scenario's attackers are dropped as in
// one thread; what a worker cannot do is refused by name.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { runParallel, SimError } from '../../src/sim/index.js'
import type { LogEvent, RunResult } from '../../src/sim/index.js'

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url))

async function play (file: string, workers: number, seed: number): Promise<{ result: RunResult, events: LogEvent[], hash: string }> {
  const events: LogEvent[] = []
  const h = createHash('sha256')
  const result = await runParallel(file, { workers, seed, out: l => { h.update(l + '\n') }, onevent: e => { events.push(e) } })
  return { result, events, hash: h.digest('hex') }
}

test('parallel: the clock scenario converges in two workers, every peer in one of them, the log in time order', async () => {
  const { result, events } = await play(here('./fixtures/clock12.ts'), 2, 3)
  assert.equal(result.converged, true)
  assert.equal(result.reason, 'converged')
  const start = events[0]
  assert.ok(start !== undefined && start.type === 'sim' && start.event === 'start' && start.workers === 2)
  const end = events.at(-1)
  assert.ok(end !== undefined && end.type === 'sim' && end.event === 'end' && end.converged)
  const up = events.filter(e => e.type === 'peer' && e.event === 'up').map(e => e.type === 'peer' ? e.peer : 0)
  assert.deepEqual([...up].sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i + 1))
  const launches = events.filter(e => e.type === 'peer' && e.event === 'launch')
  assert.equal(launches.length, 12, 'launches logged once, not by each worker')
  for (let i = 1; i < events.length; i++) assert.ok((events[i] as LogEvent).t >= (events[i - 1] as LogEvent).t, 'time order')
  const opens = events.filter(e => e.type === 'conn' && e.event === 'open').map(e => e.type === 'conn' ? e.id : 0)
  assert.equal(new Set(opens).size, opens.length, 'each connection logged once')
  const metrics = events.filter((e): e is Extract<LogEvent, { type: 'metrics' }> => e.type === 'metrics')
  assert.ok(metrics.length >= 5)
  assert.equal(metrics.at(-1)?.convergence, 1)
  assert.equal(metrics.at(-1)?.created, 24)
  assert.ok(events.some(e => e.type === 'peer' && e.event === 'tick' && typeof (e as { clock?: unknown }).clock === 'number'))
})

test('parallel: the same seed and number of workers give a byte-identical log; another seed another one', async () => {
  const file = here('./fixtures/clock12.ts')
  const a = await play(file, 2, 5)
  const b = await play(file, 2, 5)
  const c = await play(file, 2, 6)
  assert.equal(a.hash, b.hash)
  assert.notEqual(a.hash, c.hash)
  assert.ok(a.result.converged && c.result.converged)
  const one = await play(file, 1, 5)
  assert.equal(one.result.converged, true, 'one worker runs the same machinery')
})

test('parallel: the adversary scenario in two workers: honest peers converge and drop the attackers, named across workers', async () => {
  const { result, events } = await play(here('../../scenarios/adversary.ts'), 2, 4)
  assert.equal(result.converged, true)
  const names = new Map<number, string>()
  for (const e of events) if (e.type === 'peer' && e.event === 'launch') names.set(e.peer, e.name)
  const dropped = (name: string, code: string): boolean => events.some(e => e.type === 'peer' && e.event === 'drop' && e.remote !== null && names.get(e.remote) === name && e.code === code)
  assert.ok(dropped('forger', 'InvalidBlocks'))
  assert.ok(dropped('orphans', 'Flood'))
  assert.ok(dropped('fork', 'InvalidBlocks'))
  const last = events.filter(e => e.type === 'metrics').at(-1)
  assert.ok(last !== undefined && last.type === 'metrics' && last.heads === 1)
})

test('parallel: scripted faults (a partition and its heal, crashes, stops and restarts, a slower link) in two workers: converged, the same log twice', async () => {
  const file = here('./fixtures/faults.ts')
  const a = await play(file, 2, 8)
  const b = await play(file, 2, 8)
  assert.equal(a.result.converged, true)
  assert.ok(a.result.time > 35_000, 'converged only after the heal')
  assert.equal(a.hash, b.hash)
  const count = (type: string, event: string): number => a.events.filter(e => e.type === type && (e as { event?: string }).event === event).length
  assert.equal(count('fault', 'partition'), 1)
  assert.equal(count('fault', 'heal'), 1)
  assert.equal(count('fault', 'link'), 1)
  assert.ok(count('peer', 'crash') >= 1 && count('peer', 'stop') >= 1)
  assert.equal(count('peer', 'restart'), count('peer', 'crash') + count('peer', 'stop'))
  assert.equal(count('peer', 'up'), 16 + count('peer', 'restart'), 'each restart starts a new incarnation, once')
})

test('parallel: what a worker cannot do is refused by name; a failing peer init and a throwing scenario fail the run', async () => {
  const refused = async (which: string, pattern: RegExp): Promise<void> => {
    process.env.SIM_CASE = which
    try {
      await assert.rejects(runParallel(here('./fixtures/unsupported.ts'), { workers: 2 }), (e: unknown) => e instanceof SimError && pattern.test(e.message))
    } finally {
      delete process.env.SIM_CASE
    }
  }
  await refused('heal', /heal\(\) from a peer's own code is not supported in a parallel run \(workers > 1\): script it with sim\.at\(\)/)
  await refused('latency', /a parallel run needs latencies given as ms or \[min, max\], not as a function/)
  const events: LogEvent[] = []
  await assert.rejects(runParallel(here('./fixtures/badinit.ts'), { workers: 2, onevent: e => { events.push(e) } }), (e: unknown) => e instanceof SimError && e.code === 'PeerInitFailed' && /peer 2 \(broken\) init failed: cannot boot/.test(e.message))
  assert.ok(events.some(e => e.type === 'sim' && e.event === 'error' && e.code === 'PeerInitFailed'), 'the log holds the failure')
  assert.ok(events.some(e => e.type === 'sim' && e.event === 'end' && e.reason === 'error'))
  await assert.rejects(runParallel(here('./fixtures/throws.ts'), { workers: 2 }), (e: unknown) => e instanceof SimError && e.code === 'ScenarioFailed' && /scenario bug/.test(e.message))
  await assert.rejects(runParallel(here('./fixtures/notafunction.mjs'), { workers: 2 }), (e: unknown) => e instanceof SimError && e.code === 'BadScenario')
  await assert.rejects(runParallel(here('./fixtures/clock12.ts'), { workers: 2, out: () => { throw new Error('disk full') } }), (e: unknown) => e instanceof SimError && e.code === 'ScenarioFailed' && /the coordinator failed: disk full/.test(e.message))
  for (const workers of [0, 1.5, 1000]) {
    await assert.rejects(runParallel(here('./fixtures/clock12.ts'), { workers }), (e: unknown) => e instanceof SimError && e.code === 'BadOption' && /"workers"/.test(e.message))
  }
})

test('parallel: joinPeer keeps a peer of another worker connected until leavePeer, as in one thread', async () => {
  const customs = (events: LogEvent[]): unknown[][] => events.flatMap(e => e.type === 'custom' ? [[e.name, e.n, e.viaTopic]] : [])
  // opened via the topic, then directly after the cut at 2 s; none after leavePeer and the cut at 6 s
  const expected = [['opened', 1, true], ['opened', 2, false], ['peers', 1, undefined], ['peers', 0, undefined]]
  assert.deepEqual(customs((await play(here('./fixtures/direct.ts'), 1, 5)).events), expected)
  assert.deepEqual(customs((await play(here('./fixtures/direct.ts'), 2, 5)).events), expected)
})
