// Collection state is typed from its registration: the handle `register` returns gives typed
// `state`, `on(cb)` and `$()`, and `store.on(handle, cb)` / `store.$(handle)` are typed from
// it, so no `as` cast is needed. The type assertions are checked by `npm run typecheck`.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MemoryLevel } from 'memory-level'
import { signPair } from '../../src/feed/index.js'
import { Memory, Store, decodeBlock, type ComputeContext, type Observed, type Slice } from '../../src/store/index.js'
import { get } from '../../src/nuro/index.js'

/** Compiles only when `value`'s type is exactly `T`. */
function exactly<T> () {
  return <V>(value: V & (Equal<T, V> extends true ? unknown : never)): V => value
}
type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends (<X>() => X extends B ? 1 : 2) ? true : false

interface Notes { count: number, last: string | null }

class Counter extends Memory<number> {
  override initialValue = 0
  override compute (value: number, { payload, reject }: ComputeContext): number | ReturnType<ComputeContext['reject']> {
    return typeof payload === 'number' && payload > value ? payload : reject('MustIncrease')
  }
}

test('register returns a typed collection: state, on, $ and store.on/store.$ need no cast', async () => {
  const store = new Store(new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' }))
  const notes = store.register<Notes>({
    name: 'notes',
    initialValue: { count: 0, last: null },
    filter: ({ block }) => decodeBlock(block.body).type !== 'note',
    reducer: ({ block, state }) => ({ count: state.count + 1, last: decodeBlock(block.body).payload as string })
  })
  const counter = store.register('counter', Counter)
  await store.load()

  // compile-time: the handles and the store's overloads carry the registered types
  exactly<Notes>()(notes.state)
  exactly<Readonly<Record<string, number>>>()(counter.state)
  exactly<Notes>()(null as unknown as Observed<Slice<Notes>>)
  exactly<Readonly<Record<string, number>>>()(null as unknown as Observed<Counter>)
  const seen: Notes[] = []
  const all: Array<Readonly<Record<string, number>>> = []
  const offs = [
    notes.on(n => { seen.push(exactly<Notes>()(n)) }),
    counter.on(c => { all.push(exactly<Readonly<Record<string, number>>>()(c)) }),
    store.on(notes, n => { exactly<Notes>()(n) }),
    store.on(counter, c => { exactly<Readonly<Record<string, number>>>()(c) }),
    store.on<Notes>('notes', n => { exactly<Notes>()(n) }),
    store.on('notes', n => { exactly<unknown>()(n) })
  ]
  exactly<Notes | undefined>()(get(notes.$()))
  exactly<Notes | undefined>()(get(store.$(notes)))
  exactly<Readonly<Record<string, number>> | undefined>()(get(counter.$()))

  // run time: the typed forms deliver the same values as the named ones
  const { sk } = signPair()
  await store.createBlock('note', 'hello', sk)
  await store.createBlock('counter', 5, sk)
  assert.deepEqual(notes.state, { count: 1, last: 'hello' })
  assert.deepEqual(seen.at(-1), { count: 1, last: 'hello' })
  assert.deepEqual(Object.values(all.at(-1) ?? {}), [5])
  assert.deepEqual(get(store.$(notes)), notes.state)
  assert.deepEqual(store.state.notes, notes.state)

  // a collection of another store is refused, with what to pass instead
  const other = new Store(new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' }))
  const foreign = other.register('counter', Counter)
  assert.throws(() => store.on(foreign, () => {}), /expected a name or a collection registered on this store/)
  for (const off of offs) off()
  await other.close()
  await store.close()
})
