// TodoKernel: the shared todo list of the demo page (`npm start`) as a SimpleKernel with one
// Memory, `todos`. The same rules run in the page and in the node. No Node built-ins here.
import { toHex } from '../feed/index.js'
import { isPicoError } from '../errors.js'
import { SimpleKernel } from '../kernel/index.js'
import type { KernelDb, KernelOptions } from '../kernel/index.js'
import { Memory } from '../store/index.js'
import type { ComputeContext, DispatchContext, Rejection, Slice } from '../store/index.js'

/** The collection (and block type) of todo blocks. */
export const COLLECTION = 'todos'
/** Longest title, in characters (Unicode code points), after trimming. */
export const MAX_TITLE = 200
/** How far ahead of the receiver's clock a block may be dated (ms) before it is `FromTheFuture`. */
export const MAX_CLOCK_SKEW_MS = 60_000
/**
 * Most todo operations one author may date within one minute (by their blocks' dates, which
 * never go back along a chain and never run ahead of the receiver's clock by more than
 * {@link MAX_CLOCK_SKEW_MS}); more are `TooFast`. Far above what a person types.
 */
export const MAX_OPS_PER_MINUTE = 600

/**
 * Why a todo block is refused; the `reason` of the store's `Rejected` code (branch on it):
 * - `InvalidTodo`: the payload is not one of the four operations, or a field has the wrong type.
 * - `EmptyTitle`: the title is empty once trimmed.
 * - `TitleTooLong`: the title has more than {@link MAX_TITLE} characters.
 * - `FromTheFuture`: the block is dated more than {@link MAX_CLOCK_SKEW_MS} ahead of the receiver's clock.
 * - `UnknownTodo`: toggle, edit or delete of a todo this peer does not hold.
 * - `NotAuthor`: toggle, edit or delete of a todo someone else created.
 * - `Deleted`: toggle, edit or delete of a deleted todo.
 * - `DuplicateTodo`: an `add` for an id that exists (cannot happen with honest peers: the id is the block's signature).
 * - `OutOfOrder`: a todo block dated before the block it follows on its chain.
 * - `TooFast`: more than {@link MAX_OPS_PER_MINUTE} todo blocks of one author dated in one minute.
 */
export type TodoRejection =
  | 'InvalidTodo'
  | 'EmptyTitle'
  | 'TitleTooLong'
  | 'FromTheFuture'
  | 'UnknownTodo'
  | 'NotAuthor'
  | 'Deleted'
  | 'DuplicateTodo'
  | 'OutOfOrder'
  | 'TooFast'

/** Every {@link TodoRejection}, for tests and UIs. */
export const REJECTIONS: readonly TodoRejection[] = [
  'InvalidTodo', 'EmptyTitle', 'TitleTooLong', 'FromTheFuture', 'UnknownTodo', 'NotAuthor', 'Deleted', 'DuplicateTodo',
  'OutOfOrder', 'TooFast'
]

/** The payload of a todo block: one operation. */
export type TodoOp =
  | {
    /** Creates a todo; its id is the block's signature (hex). */
    op: 'add'
    /** 1..{@link MAX_TITLE} characters after trimming. */
    title: string
  }
  | {
    /** Marks a todo done or not done. */
    op: 'toggle'
    /** The todo's id. */
    id: string
    /** The new state. */
    done: boolean
  }
  | {
    /** Renames a todo. */
    op: 'edit'
    /** The todo's id. */
    id: string
    /** The new title, bounded as for `add`. */
    title: string
  }
  | {
    /** Deletes a todo (it stays as a tombstone, so a later operation on it is refused). */
    op: 'delete'
    /** The todo's id. */
    id: string
  }

/** One todo, as the `todos` collection holds it. */
export interface Todo {
  /** The id: hex of the signature of the block that added it. */
  id: string
  /** The title, trimmed. */
  title: string
  /** Done or not. */
  done: boolean
  /** Public key (hex) of the author: the only key allowed to change it. */
  author: string
  /** When it was added (the block's date, ms epoch, the author's clock). */
  created: number
  /** When it last changed (ms epoch, the author's clock). */
  updated: number
  /** True once deleted (then `title` is empty). */
  deleted: boolean
}

/** Per author (hex), `[minute, count]`: how many todo blocks they dated in that minute (ms / 60 000). */
export type TodoQuota = Record<string, [number, number]>

function minuteOf (date: number): number { return Math.floor(date / 60_000) }

/** Fallback id of a block whose payload names no todo (`compute` then refuses it). */
const NO_ID = '-'

function isOp (p: unknown): p is TodoOp {
  if (typeof p !== 'object' || p === null) return false
  const o = p as Record<string, unknown>
  switch (o.op) {
    case 'add': return typeof o.title === 'string'
    case 'toggle': return typeof o.id === 'string' && typeof o.done === 'boolean'
    case 'edit': return typeof o.id === 'string' && typeof o.title === 'string'
    case 'delete': return typeof o.id === 'string'
    default: return false
  }
}

/**
 * Checks a title: the trimmed title, or the reason it is refused.
 *
 * @param title - the title as typed
 * @returns `{ title }` (trimmed) or `{ error }`
 */
export function checkTitle (title: string): { title: string } | { error: 'EmptyTitle' | 'TitleTooLong' } {
  const t = title.trim()
  if (t === '') return { error: 'EmptyTitle' }
  // a code point is one or two UTF-16 units: count them only when the length leaves a doubt
  if (t.length > MAX_TITLE && (t.length > 2 * MAX_TITLE || Array.from(t).length > MAX_TITLE)) return { error: 'TitleTooLong' }
  return { title: t }
}

/**
 * The rules of the `todos` collection: one object per todo, keyed by the id of the block that
 * added it. Only the author (the owner of the chain the block is on) may toggle, edit or delete
 * a todo; titles are bounded; blocks dated in the future are refused. Since chains are owned,
 * every operation on a todo sits on its author's chain, after the `add`: peers apply them in
 * the same order whatever the network does.
 */
export class TodoMemory extends Memory<Todo | null> {
  /** A todo that does not exist yet. */
  override initialValue: Todo | null = null

  /**
   * The todo a block addresses: its own id for `add`, the payload's `id` otherwise.
   *
   * @param ctx - the dispatch context
   * @returns the object id
   */
  override idOf (ctx: DispatchContext): string {
    const p = ctx.payload
    if (!isOp(p)) return NO_ID
    return p.op === 'add' ? toHex(ctx.block.sig) : p.id
  }

  /**
   * Applies one operation, or refuses it with a {@link TodoRejection}.
   *
   * @param value - the todo, or null when it does not exist
   * @param ctx - the compute context
   * @returns the new todo or a rejection
   */
  override compute (value: Todo | null, ctx: ComputeContext): Todo | Rejection {
    const { payload: p, date, AUTHOR, reject } = ctx
    if (!isOp(p) || !Number.isFinite(date)) return reject('InvalidTodo')
    if (date > Date.now() + MAX_CLOCK_SKEW_MS) return reject('FromTheFuture')
    if (p.op === 'add') {
      if (value !== null) return reject('DuplicateTodo')
      const t = checkTitle(p.title)
      if ('error' in t) return reject(t.error)
      return { id: String(ctx.id), title: t.title, done: false, author: AUTHOR, created: date, updated: date, deleted: false }
    }
    if (value === null) return reject('UnknownTodo')
    if (value.author !== AUTHOR) return reject('NotAuthor')
    if (value.deleted) return reject('Deleted')
    switch (p.op) {
      case 'toggle': return { ...value, done: p.done, updated: date }
      case 'edit': {
        const t = checkTitle(p.title)
        if ('error' in t) return reject(t.error)
        return { ...value, title: t.title, updated: date }
      }
      case 'delete': return { ...value, title: '', deleted: true, updated: date }
    }
  }
}

/**
 * The reason a todo operation was refused, from the error `createBlock` (or a method of
 * {@link TodoKernel}) threw: a {@link TodoRejection}, another rejection code of the store
 * (e.g. `NotOwner`), or undefined when the error is not a refusal.
 *
 * @param err - what was thrown
 * @returns the reason, or undefined
 */
export function refusalOf (err: unknown): string | undefined {
  if (!isPicoError(err, 'InvalidBlock')) return undefined
  const cause = (err as Error & { cause?: unknown }).cause as { code?: unknown, reason?: unknown } | undefined
  if (cause === undefined) return undefined
  if (cause.code === 'Rejected' && typeof cause.reason === 'string') return cause.reason
  return typeof cause.code === 'string' ? cause.code : undefined
}

/**
 * A shared todo list: a {@link SimpleKernel} with the {@link TodoMemory} collection `todos`.
 * It runs unchanged in a page (on IndexedDB, `new TodoKernel('my-todos')`) and in Node.
 *
 * @example
 * ```ts
 * const alice = new TodoKernel(); await alice.boot()
 * const bob = new TodoKernel(); await bob.boot()
 * alice.spawnWire().open(bob.spawnWire())
 * const id = await alice.addTodo('buy milk')
 * await bob.toggleTodo(id, true).catch(err => refusalOf(err)) // 'NotAuthor' (or 'UnknownTodo' before sync)
 * ```
 */
export class TodoKernel extends SimpleKernel {
  /** The `todos` collection: `todos.state` is `{ [id]: Todo | null }`, `todos.on(cb)` subscribes. */
  readonly todos: TodoMemory
  /** Per author, the todo blocks dated in their latest minute (the `TooFast` rule). */
  readonly quota: Slice<TodoQuota>

  /**
   * @param db - an abstract-level database, or a location for the default one (a folder in
   *   Node, an IndexedDB name in browsers), or nothing (memory)
   * @param opts - kernel options
   */
  constructor (db?: KernelDb | string, opts?: KernelOptions) {
    super(db, opts)
    this.todos = this.store.register(COLLECTION, TodoMemory)
    this.quota = this.store.register<TodoQuota>({
      name: 'quota',
      initialValue: {},
      filter: ({ block, parentBlock, state, AUTHOR }) => {
        const { type, date } = SimpleKernel.decodeBlock(block.body)
        if (type !== COLLECTION) return true // not a todo: ignored
        if (parentBlock !== null && date < SimpleKernel.decodeBlock(parentBlock.body).date) return 'OutOfOrder' satisfies TodoRejection
        const used = state[AUTHOR]
        if (used !== undefined && used[0] === minuteOf(date) && used[1] >= MAX_OPS_PER_MINUTE) return 'TooFast' satisfies TodoRejection
        return false
      },
      reducer: ({ block, state, AUTHOR }) => {
        const minute = minuteOf(SimpleKernel.decodeBlock(block.body).date)
        const used = state[AUTHOR]
        return { ...state, [AUTHOR]: [minute, used !== undefined && used[0] === minute ? used[1] + 1 : 1] }
      }
    })
  }

  /**
   * Adds a todo on the user's chain.
   *
   * @param title - 1..{@link MAX_TITLE} characters after trimming
   * @returns the new todo's id
   * @throws KernelError `InvalidBlock` (see {@link refusalOf}: `EmptyTitle`, `TitleTooLong`)
   */
  async addTodo (title: string): Promise<string> {
    const feed = await this.createBlock(COLLECTION, { op: 'add', title } satisfies TodoOp)
    return toHex((feed.last as { sig: Uint8Array }).sig)
  }

  /**
   * Marks a todo done or not done.
   *
   * @param id - the todo
   * @param done - the new state (default: the opposite of the current one)
   * @throws KernelError `InvalidBlock` (`NotAuthor`, `UnknownTodo`, `Deleted`)
   */
  async toggleTodo (id: string, done?: boolean): Promise<void> {
    await this.createBlock(COLLECTION, { op: 'toggle', id, done: done ?? !(this.todos.state[id]?.done ?? false) } satisfies TodoOp)
  }

  /**
   * Renames a todo.
   *
   * @param id - the todo
   * @param title - the new title
   * @throws KernelError `InvalidBlock` (`NotAuthor`, `UnknownTodo`, `Deleted`, `EmptyTitle`, `TitleTooLong`)
   */
  async editTodo (id: string, title: string): Promise<void> {
    await this.createBlock(COLLECTION, { op: 'edit', id, title } satisfies TodoOp)
  }

  /**
   * Deletes a todo.
   *
   * @param id - the todo
   * @throws KernelError `InvalidBlock` (`NotAuthor`, `UnknownTodo`, `Deleted`)
   */
  async deleteTodo (id: string): Promise<void> {
    await this.createBlock(COLLECTION, { op: 'delete', id } satisfies TodoOp)
  }

  /**
   * The live todos (deleted ones left out), oldest first.
   *
   * @returns a new array
   */
  list (): Todo[] {
    return listTodos(this.todos.state)
  }
}

/**
 * The live todos of a `todos` state, oldest first (ties by id).
 *
 * @param state - the collection's state `{ [id]: Todo | null }`
 * @returns a new array without deleted todos
 */
export function listTodos (state: Readonly<Record<string, Todo | null>>): Todo[] {
  const out: Todo[] = []
  for (const t of Object.values(state)) if (t !== null && !t.deleted) out.push(t)
  return out.sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}
