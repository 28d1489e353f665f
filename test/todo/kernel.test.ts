// The demo's TodoKernel: every rule, locally (the author's own store refuses) and across
// in-memory wires (a peer without the rules cannot make an honest peer accept a bad block).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Feed, signPair } from '../../src/feed/index.js'
import { SimpleKernel } from '../../src/kernel/index.js'
import { Memory, encodeBody } from '../../src/store/index.js'
import { until } from '../../src/nuro/index.js'
import {
  MAX_CLOCK_SKEW_MS, MAX_OPS_PER_MINUTE, MAX_TITLE, COLLECTION, TodoKernel, checkTitle, listTodos, refusalOf
} from '../../src/todo/index.js'
import type { Todo } from '../../src/todo/index.js'
import { NodeKernel } from '../../src/cli/demo.js'
import { encodeBlocks, encodeSummary } from '../../src/kernel/protocol.js'
import { toHex } from '../../src/feed/index.js'
import { RawPeer } from '../kernel/raw.js'

async function boot<K extends SimpleKernel> (...ks: K[]): Promise<K[]> {
  await Promise.all(ks.map(k => k.boot()))
  return ks
}

async function refused (p: Promise<unknown>): Promise<string | undefined> {
  try { await p } catch (err) { return refusalOf(err) ?? `not a refusal: ${String(err)}` }
  return undefined
}

/** One signed block `todos` with any payload and date, on a fresh chain of `sk` (no rules run). */
function rawBlock (payload: unknown, date: number, sk: string): Feed {
  const f = new Feed()
  f.append(encodeBody(COLLECTION, payload, date), sk)
  return f
}

test('todo: add, toggle, edit and delete by the author', async t => {
  const [alice] = await boot(new TodoKernel())
  t.after(() => alice!.halt())
  const k = alice!
  const id = await k.addTodo('  buy milk  ')
  let todo = k.todos.state[id] as Todo
  assert.equal(todo.title, 'buy milk')
  assert.equal(todo.done, false)
  assert.equal(todo.author, k.pk)
  assert.equal(todo.id, id)
  await k.toggleTodo(id)
  assert.equal(k.todos.state[id]?.done, true)
  await k.toggleTodo(id, false)
  assert.equal(k.todos.state[id]?.done, false)
  await k.editTodo(id, 'buy oat milk')
  todo = k.todos.state[id] as Todo
  assert.equal(todo.title, 'buy oat milk')
  assert.ok(todo.updated >= todo.created)
  const id2 = await k.addTodo('walk the dog')
  assert.deepEqual(k.list().map(x => x.title), ['buy oat milk', 'walk the dog'])
  await k.deleteTodo(id)
  assert.equal(k.todos.state[id]?.deleted, true)
  assert.deepEqual(k.list().map(x => x.id), [id2])
  assert.equal(await refused(k.toggleTodo(id)), 'Deleted')
  assert.equal(await refused(k.editTodo(id, 'again')), 'Deleted')
  assert.equal(await refused(k.deleteTodo(id)), 'Deleted')
  assert.equal(await refused(k.toggleTodo('ab'.repeat(64))), 'UnknownTodo')
})

test('todo: titles are 1..MAX_TITLE characters once trimmed', async t => {
  const [k] = await boot(new TodoKernel())
  t.after(() => k!.halt())
  assert.equal(await refused(k!.addTodo('')), 'EmptyTitle')
  assert.equal(await refused(k!.addTodo(' \n\t ')), 'EmptyTitle')
  assert.equal(await refused(k!.addTodo('x'.repeat(MAX_TITLE + 1))), 'TitleTooLong')
  const id = await k!.addTodo('x'.repeat(MAX_TITLE))
  // characters, not UTF-16 units: 200 emoji fit, 201 do not
  await k!.addTodo('😀'.repeat(MAX_TITLE))
  assert.equal(await refused(k!.addTodo('😀'.repeat(MAX_TITLE + 1))), 'TitleTooLong')
  assert.equal(await refused(k!.editTodo(id, '')), 'EmptyTitle')
  assert.equal(await refused(k!.editTodo(id, 'y'.repeat(MAX_TITLE + 1))), 'TitleTooLong')
  assert.deepEqual(checkTitle(' a '), { title: 'a' })
  assert.deepEqual(checkTitle('x'.repeat(3 * MAX_TITLE)), { error: 'TitleTooLong' })
})

test('todo: only the author may toggle, edit or delete, on every peer', async t => {
  const [alice, bob, carol] = await boot(new TodoKernel(), new TodoKernel(), new TodoKernel())
  t.after(() => Promise.all([alice!.halt(), bob!.halt(), carol!.halt()]))
  alice!.spawnWire().open(bob!.spawnWire())
  bob!.spawnWire().open(carol!.spawnWire())
  const id = await alice!.addTodo('alice only')
  await until(carol!.todos.$(), s => s[id] != null, { timeout: 10_000 })
  // honest peers refuse to write it
  assert.equal(await refused(bob!.toggleTodo(id)), 'NotAuthor')
  assert.equal(await refused(bob!.editTodo(id, 'mine now')), 'NotAuthor')
  assert.equal(await refused(carol!.deleteTodo(id)), 'NotAuthor')
  // and refuse it from a peer that skips the rules
  const { sk } = signPair()
  for (const payload of [{ op: 'toggle', id, done: true }, { op: 'edit', id, title: 'x' }, { op: 'delete', id }]) {
    const res = await bob!.dispatch(rawBlock(payload, Date.now(), sk))
    assert.deepEqual(res.rejected.map(r => [r.code, r.reason]), [['Rejected', 'NotAuthor']])
  }
  // the author still can
  await alice!.toggleTodo(id)
  await until(carol!.todos.$(), s => s[id]?.done === true, { timeout: 10_000 })
})

test('todo: a cheating peer without the rules cannot get bad blocks accepted over a wire', async t => {
  class Lax extends Memory<unknown> {
    override initialValue = null
    override idOf (): string { return 'any' }
    override compute (_v: unknown, ctx: { payload: unknown }): unknown { return ctx.payload }
  }
  class Cheater extends SimpleKernel {
    constructor () { super(); this.store.register(COLLECTION, Lax) }
  }
  const [alice] = await boot(new TodoKernel())
  const [mallory] = await boot(new Cheater())
  t.after(() => Promise.all([alice!.halt(), mallory!.halt()]))
  const id = await alice!.addTodo('mine')
  // mallory knows the id (it is public) and writes a toggle, an empty and an over-long title
  await mallory!.createBlock(COLLECTION, { op: 'toggle', id, done: true })
  const reasons: string[] = []
  const allSeen = new Promise<void>(resolve => alice!.store.tap(e => {
    if (e.event === 'rejected') { reasons.push(e.reason); resolve() }
  }))
  alice!.spawnWire().open(mallory!.spawnWire())
  await allSeen
  assert.deepEqual(reasons, ['NotAuthor'])
  assert.equal(alice!.todos.state[id]?.done, false)

  const [m2] = await boot(new Cheater())
  t.after(() => m2!.halt())
  await m2!.createBlock(COLLECTION, { op: 'add', title: 'x'.repeat(MAX_TITLE + 1) })
  const second = new Promise<string>(resolve => alice!.store.tap(e => { if (e.event === 'rejected') resolve(e.reason) }))
  alice!.spawnWire().open(m2!.spawnWire())
  assert.equal(await second, 'TitleTooLong')
  assert.equal(alice!.list().length, 1)
})

test('todo: malformed payloads and blocks from the future are refused with stable reasons', async t => {
  const [k] = await boot(new TodoKernel())
  t.after(() => k!.halt())
  const { sk } = signPair()
  const now = Date.now()
  const cases: Array<[unknown, number, string]> = [
    [null, now, 'InvalidTodo'],
    ['add', now, 'InvalidTodo'],
    [{ op: 'add' }, now, 'InvalidTodo'],
    [{ op: 'add', title: 7 }, now, 'InvalidTodo'],
    [{ op: 'toggle', id: 'x', done: 'yes' }, now, 'InvalidTodo'],
    [{ op: 'rename', id: 'x', title: 'y' }, now, 'InvalidTodo'],
    [{ op: 'add', title: '' }, now, 'EmptyTitle'],
    [{ op: 'add', title: 'later' }, now + MAX_CLOCK_SKEW_MS + 60_000, 'FromTheFuture'],
    [{ op: 'toggle', id: 'nope', done: true }, now, 'UnknownTodo']
  ]
  for (const [payload, date, reason] of cases) {
    const res = await k!.dispatch(rawBlock(payload, date, signPair().sk))
    assert.deepEqual(res.rejected.map(r => r.reason), [reason], JSON.stringify(payload))
  }
  // within the skew is fine (a peer's clock a little ahead)
  const ok = await k!.dispatch(rawBlock({ op: 'add', title: 'soon' }, now + MAX_CLOCK_SKEW_MS / 2, sk))
  assert.equal(ok.rejected.length, 0)
  assert.equal(k!.list().map(x => x.title).join(), 'soon')
})

test('todo: state survives a reboot on the same database', async t => {
  const { MemoryLevel } = await import('memory-level')
  const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
  const a = new TodoKernel(db)
  await a.boot()
  const id = await a.addTodo('persist me')
  await a.toggleTodo(id)
  const pk = a.pk
  // halting closes the db: reopen a copy of it
  const entries = await db.iterator().all()
  await a.halt()
  const db2 = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
  await db2.batch(entries.map(([key, value]) => ({ type: 'put' as const, key, value })))
  const b = new TodoKernel(db2)
  t.after(() => b.halt())
  await b.boot()
  assert.equal(b.pk, pk)
  assert.deepEqual(listTodos(b.todos.state).map(x => [x.title, x.done]), [['persist me', true]])
})

test('todo: the node kernel takes todos and notes, each ignoring the other', async t => {
  const [node] = await boot(new NodeKernel())
  const [page] = await boot(new TodoKernel())
  t.after(() => Promise.all([node!.halt(), page!.halt()]))
  node!.spawnWire().open(page!.spawnWire())
  const id = await page!.addTodo('from the page')
  await until(node!.todos.$(), s => s[id] != null, { timeout: 10_000 })
  await node!.createNote('hello')
  assert.equal(node!.notes.state.count, 1)
  assert.equal(await refused(node!.toggleTodo(id)), 'NotAuthor')
})

test('todo: a flood of valid todos past MAX_OPS_PER_MINUTE is TooFast, backdating is OutOfOrder, and the flooder is dropped with Flood', async t => {
  const [node, honest] = await boot(new TodoKernel(undefined, { limits: { maxRefused: 16 } }), new TodoKernel())
  t.after(async () => { await node!.halt(); await honest!.halt() })
  node!.spawnWire().open(honest!.spawnWire())
  // one author's chain of MAX_OPS_PER_MINUTE adds dated in one minute: all accepted
  const { sk } = signPair()
  const minute = Math.floor(Date.now() / 60_000) * 60_000
  const chain = new Feed()
  for (let i = 0; i < MAX_OPS_PER_MINUTE; i++) chain.append(encodeBody(COLLECTION, { op: 'add', title: `t${i}` }, minute + i), sk)
  const raw = await RawPeer.open(node!.spawnWire())
  await raw.greet()
  await raw.plug.postMessage(encodeSummary([]))
  await raw.plug.postMessage(encodeBlocks(chain))
  const author = toHex(chain.first!.key)
  await until(node!.todos.$(), s => Object.values(s).filter(x => x?.author === author).length === MAX_OPS_PER_MINUTE, { timeout: 10_000 })
  // one more in that minute is TooFast; dated before its parent, OutOfOrder (checked locally)
  const local = { nodeId: 'local', since: 0 }
  const next = (title: string, date: number): Feed => {
    const f = chain.slice(chain.length - 1)
    f.append(encodeBody(COLLECTION, { op: 'add', title }, date), sk)
    return f
  }
  assert.equal((await node!.onblocks(next('one more', minute + MAX_OPS_PER_MINUTE), local)).rejected[0]?.reason, 'TooFast')
  assert.equal((await node!.onblocks(next('backdated', minute - 60_000), local)).rejected[0]?.reason, 'OutOfOrder')
  // a flooder that keeps sending them is dropped past maxRefused
  for (let i = 0; i < 20; i++) void raw.plug.postMessage(encodeBlocks(next(`flood ${i}`, minute + MAX_OPS_PER_MINUTE + i))).catch(() => {})
  const err = await raw.plug.closed
  assert.equal((err as { code?: string } | null)?.code, 'Flood')
  // the honest peer still syncs
  const id = await honest!.addTodo('still here')
  await until(node!.todos.$(), s => s[id] != null, { timeout: 10_000 })
})
