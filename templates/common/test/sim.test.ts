// The simulator scenario at a small size: the honest peers converge on the same tasks, and
// the cheater's task is refused (no honest peer holds it).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Simulator } from 'picostack/sim'
import type { LogEvent } from 'picostack/sim'
import type { TaskKernel } from '../src/blockend/tasks'
import { tasks } from '../sim/tasks'

test('simulated swarm: honest peers converge and refuse the cheater\'s task', async () => {
  const events: LogEvent[] = []
  const sim = new Simulator({ seed: 1, onevent: e => events.push(e) })
  const peers = 8
  const kernels: TaskKernel[] = []
  const result = await tasks(sim, { peers, tasks: 2, onkernel: k => kernels.push(k) })
  assert.equal(result.converged, true, `ended by ${result.reason} at ${result.time} ms`)
  const refusals = events.filter(e => e.type === 'custom' && e.name === 'rejected')
  assert.ok(refusals.length > 0, 'the cheater\'s task was refused')
  assert.ok(refusals.every(e => (e as { reason?: string }).reason === 'InvalidStatus'))
  // after the run the peers are frozen: each honest one holds every honest task, and no other
  assert.equal(kernels.length, peers)
  for (const kernel of kernels) {
    const held = Object.values(kernel.tasks.state)
    assert.equal(held.length, peers * 2)
    assert.ok(held.every(task => task.status !== ('urgent' as string)))
  }
})
