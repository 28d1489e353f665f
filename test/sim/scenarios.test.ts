// The scenarios of scenarios/ at their default sizes (what `picostack sim scenarios/X.ts` runs):
// each must converge by itself, and the adversaries must get disconnected.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Simulator } from '../../src/sim/index.js'
import type { LogEvent, RunResult } from '../../src/sim/index.js'
import { clock } from '../../scenarios/clock.js'
import { partition } from '../../scenarios/partition.js'
import { churn } from '../../scenarios/churn.js'
import { adversary } from '../../scenarios/adversary.js'

async function play (seed: number, scenario: (sim: Simulator) => Promise<void>): Promise<{ sim: Simulator, events: LogEvent[], result: RunResult }> {
  const events: LogEvent[] = []
  const sim = new Simulator({ seed, onevent: e => events.push(e) })
  let result: RunResult | undefined
  const run = sim.run.bind(sim)
  sim.run = async opts => (result = await run(opts))
  await scenario(sim)
  assert.ok(result !== undefined, 'the scenario ran the simulation')
  return { sim, events, result }
}

test('scenario clock: the seed\'s clock kernel converges on 50 peers', async () => {
  const { result, events } = await play(1, sim => clock(sim))
  assert.equal(result.reason, 'converged', `ended by ${result.reason} at ${result.time}`)
  assert.equal(result.converged, true)
  const last = events.filter(e => e.type === 'metrics').at(-1)
  assert.ok(last !== undefined && last.type === 'metrics' && last.peers === 50 && last.created === 150 && last.held === 50 * 150)
})

test('scenario partition: halves split, then converge after the heal', async () => {
  const { result, events } = await play(2, sim => partition(sim))
  assert.equal(result.converged, true)
  assert.ok(result.time > 65_000, 'converged only after the heal')
  const during = events.filter(e => e.type === 'metrics' && e.t > 40_000 && e.t < 65_000)
  assert.ok(during.length > 0 && during.every(e => e.type === 'metrics' && e.heads < 1), 'not converged while split')
})

test('scenario churn: crashes and graceful stops, restarts on the same disk, convergence', async () => {
  const { result, events } = await play(3, sim => churn(sim))
  assert.equal(result.converged, true)
  assert.ok(events.some(e => e.type === 'peer' && e.event === 'crash'))
  assert.ok(events.some(e => e.type === 'peer' && e.event === 'stop'))
  assert.ok(events.filter(e => e.type === 'peer' && e.event === 'restart').length >= 2)
})

test('scenario adversary: honest peers converge and drop the forgers, the orphan flooder, the equivocator and the garbage writer', async () => {
  const { sim, result, events } = await play(4, sim => adversary(sim))
  assert.equal(result.converged, true)
  const id = (name: string): number[] => sim.peers.filter(p => p.name === name).map(p => p.id)
  for (const forger of id('forger')) {
    const drops = events.filter(e => e.type === 'peer' && e.event === 'drop' && e.remote === forger && e.code === 'InvalidBlocks')
    assert.ok(drops.length >= 1, `forger ${forger} dropped`)
  }
  for (const [name, code] of [['orphans', 'Flood'], ['fork', 'InvalidBlocks']] as const) {
    for (const attacker of id(name)) {
      const drops = events.filter(e => e.type === 'peer' && e.event === 'drop' && e.remote === attacker && e.code === code)
      assert.ok(drops.length >= 1, `${name} ${attacker} dropped with ${code}`)
      // every honest peer still connected to the attacker when it attacked dropped it (the
      // kernel closes its wire; the modem's connection may stay for other topics)
      const attack = events.find(e => e.type === 'custom' && e.name === 'attack' && e.peer === attacker)?.t ?? Infinity
      const closedBefore = new Set(events.filter(e => e.type === 'conn' && e.event === 'close' && e.t <= attack).map(e => e.type === 'conn' ? e.id : -1))
      const connected = new Set(events.filter(e => e.type === 'conn' && e.event === 'open' && (e.a === attacker || e.b === attacker) && !closedBefore.has(e.id)).map(e => e.type === 'conn' ? (e.a === attacker ? e.b : e.a) : -1))
      const droppers = new Set(drops.map(e => e.type === 'peer' ? e.peer : -1))
      assert.ok(connected.size >= 1)
      const honest = new Set(sim.peers.filter(p => p.honest).map(p => p.id))
      for (const p of connected) if (honest.has(p)) assert.ok(droppers.has(p), `honest peer ${p} dropped ${name} ${attacker}`)
    }
  }
  const [garbage] = id('garbage')
  const opened = events.filter(e => e.type === 'conn' && e.event === 'open' && (e.a === garbage || e.b === garbage))
  const closed = events.filter(e => e.type === 'conn' && e.event === 'close' && (e.a === garbage || e.b === garbage) && e.by !== garbage)
  assert.ok(opened.length >= 1)
  assert.equal(closed.length, opened.length, 'every connection of the garbage writer was closed by the honest side')
  // no honest peer accepted a block of an adversary's forged chains: heads match the honest union
  const last = events.filter(e => e.type === 'metrics').at(-1)
  assert.ok(last !== undefined && last.type === 'metrics' && last.heads === 1)
})

test('scenario partition with the seed\'s own clock reducer: heads converge, states do not (the simulator finds it)', async () => {
  const { result, events } = await play(2, sim => partition(sim, { peers: 12, ticks: 2, seedReducer: true }))
  assert.equal(result.converged, false)
  const last = events.filter(e => e.type === 'metrics').at(-1)
  assert.ok(last !== undefined && last.type === 'metrics' && last.heads === 1 && last.convergence < 1)
})
