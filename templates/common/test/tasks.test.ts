// The rules, tested on peers joined by in-memory wires (a WebSocket or a swarm works the same).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { SimpleKernel } from 'picostack/kernel'
import { until } from 'picostack/nuro'
import { MAX_TITLE, TaskKernel, listTasks, reasonOf } from '../src/blockend/tasks'
import { Cheater } from '../sim/cheater'

/** Two booted peers joined by an in-memory wire; halted after the test. */
async function pair (t: { after: (fn: () => Promise<void>) => void }): Promise<[TaskKernel, TaskKernel]> {
  const alice = new TaskKernel(); await alice.boot()
  const bob = new TaskKernel(); await bob.boot()
  alice.spawnWire().open(bob.spawnWire())
  t.after(async () => { await Promise.all([alice.halt(), bob.halt()]) })
  return [alice, bob]
}

/** Resolves with the reason of the first block `kernel` refuses. */
function nextRejection (kernel: SimpleKernel): Promise<string> {
  return new Promise(resolve => kernel.store.tap(e => { if (e.event === 'rejected') resolve(e.reason) }))
}

test('a task added on one peer reaches the other, with its author and dates', async t => {
  const [alice, bob] = await pair(t)
  const before = Date.now()
  const id = await alice.addTask('  write the rules  ')
  const state = await until(bob.tasks.$(), s => s[id] !== undefined, { timeout: 5000 })
  const task = state[id]
  assert.ok(task !== undefined)
  assert.equal(task.title, 'write the rules')
  assert.equal(task.status, 'todo')
  assert.equal(task.author, alice.pk)
  assert.ok(task.created >= before && task.created <= Date.now())
  assert.equal(task.updated, task.created)
})

test('the author moves a task; every peer sees the new status', async t => {
  const [alice, bob] = await pair(t)
  const id = await alice.addTask('ship it')
  await alice.setStatus(id, 'doing')
  const state = await until(bob.tasks.$(), s => s[id]?.status === 'doing', { timeout: 5000 })
  assert.ok((state[id]?.updated ?? 0) >= (state[id]?.created ?? Infinity))
})

test('the author\'s own kernel refuses a bad status, a bad title, an unknown task', async t => {
  const [alice] = await pair(t)
  const refused = async (p: Promise<unknown>): Promise<string> => {
    try { await p } catch (err) { return reasonOf(err) }
    return 'accepted'
  }
  assert.equal(await refused(alice.addTask('x', 'urgent' as 'todo')), 'InvalidStatus')
  assert.equal(await refused(alice.addTask('   ')), 'InvalidTitle')
  assert.equal(await refused(alice.addTask('x'.repeat(MAX_TITLE + 1))), 'InvalidTitle')
  assert.equal(await refused(alice.setStatus('00'.repeat(64), 'done')), 'UnknownTask')
  assert.equal(await refused(alice.createBlock('tasks', { op: 'delete', status: 'done' })), 'UnknownOperation')
  assert.equal(await refused(alice.createBlock('tasks', 'hello')), 'InvalidPayload')
  assert.deepEqual(alice.tasks.state, {}, 'nothing was stored')
})

test('only the author may change a task', async t => {
  const [alice, bob] = await pair(t)
  const id = await alice.addTask('mine')
  await until(bob.tasks.$(), s => s[id] !== undefined, { timeout: 5000 })
  await assert.rejects(bob.setStatus(id, 'done'), (err: unknown) => reasonOf(err) === 'NotAuthor')
  assert.equal(bob.tasks.state[id]?.status, 'todo')
})

test('a peer without the rules cannot push a bad task or one from the future', async t => {
  const [, bob] = await pair(t)
  const mallory = new Cheater(); await mallory.boot()
  t.after(async () => { await mallory.halt() })
  await mallory.createBlock('tasks', { op: 'add', title: 'hi', status: 'urgent' })
  const first = nextRejection(bob)
  mallory.spawnWire().open(bob.spawnWire())
  assert.equal(await first, 'InvalidStatus')

  // Eve's clock runs an hour ahead while she signs a task.
  const now = Date.now
  const eve = new Cheater(); await eve.boot()
  t.after(async () => { await eve.halt() })
  Date.now = () => now() + 3_600_000
  try { await eve.createBlock('tasks', { op: 'add', title: 'later', status: 'todo' }) } finally { Date.now = now }
  const second = nextRejection(bob)
  eve.spawnWire().open(bob.spawnWire())
  assert.equal(await second, 'FromTheFuture')
  assert.deepEqual(listTasks(bob.tasks.state), [], 'Bob holds no task')
})

test('listTasks: newest first, ties by id', () => {
  const base = { title: 't', status: 'todo' as const, author: 'a', updated: 0 }
  const list = listTasks({ b: { ...base, created: 1 }, a: { ...base, created: 1 }, c: { ...base, created: 2 } })
  assert.deepEqual(list.map(x => x.id), ['c', 'a', 'b'])
})
