// The blockend: the rules of the app. Every peer (each browser tab, the node, a simulated
// peer) runs this same code on every block it receives, its own included, so a block that
// breaks a rule is refused everywhere, whoever wrote it.
import { toHex } from 'picostack/feed'
import { SimpleKernel } from 'picostack/kernel'
import { Memory } from 'picostack/store'
import type { ComputeContext, DispatchContext, Rejection } from 'picostack/store'

/** The statuses a task may have, in board order. */
export const STATUSES = ['todo', 'doing', 'done'] as const
/** A task's status. */
export type Status = typeof STATUSES[number]
/** Longest title, in characters. */
export const MAX_TITLE = 140
/** How far ahead of our clock a block's date may be (ms): a block from further ahead is refused. */
export const MAX_CLOCK_SKEW = 5 * 60_000

/** A task as every peer holds it. */
export interface Task {
  /** What to do (1..MAX_TITLE characters, trimmed). */
  title: string
  /** Where it stands. */
  status: Status
  /** The author's public key (hex): only the author may change the task. */
  author: string
  /** When it was created (the creating block's date, ms since the epoch). */
  created: number
  /** When it last changed (the last block's date). */
  updated: number
}

/** A task with its id (the hex signature of the block that created it). */
export interface TaskEntry extends Task {
  /** The task id. */
  id: string
}

/** The payloads of the blocks of the `tasks` collection. */
export type TaskOp =
  | { op: 'add', title: string, status: Status }
  | { op: 'status', id: string, status: Status }

/** Rejection reasons of the rules (what `kernel.store.tap` reports as a rejected block's reason). */
export type TaskRejection =
  | 'InvalidPayload' | 'UnknownOperation' | 'InvalidTitle' | 'InvalidStatus'
  | 'UnknownTask' | 'TaskExists' | 'NotAuthor' | 'FromTheFuture'

/** True when `s` is one of {@link STATUSES}. */
export function isStatus (s: unknown): s is Status {
  return typeof s === 'string' && (STATUSES as readonly string[]).includes(s)
}

function isRecord (x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}

/** The `tasks` collection: one object per task, keyed by the id of the block that created it. */
export class Tasks extends Memory<Task | null, Readonly<Record<string, Task>>> {
  override initialValue = null

  /** A new task is addressed by its own block's signature; a change by the id it names. */
  override idOf ({ block, payload }: DispatchContext): string | Uint8Array {
    if (isRecord(payload) && payload.op === 'status' && typeof payload.id === 'string') return payload.id
    return block.sig
  }

  /** The rules: what a block may do to a task. */
  override compute (task: Task | null, ctx: ComputeContext): Task | Rejection {
    const { payload, date, AUTHOR } = ctx
    const reject = (reason: TaskRejection): Rejection => ctx.reject(reason)
    if (date > Date.now() + MAX_CLOCK_SKEW) return reject('FromTheFuture')
    if (!isRecord(payload)) return reject('InvalidPayload')
    if (!isStatus(payload.status)) return reject('InvalidStatus')
    switch (payload.op) {
      case 'add': {
        if (task !== null) return reject('TaskExists')
        const title = typeof payload.title === 'string' ? payload.title.trim() : ''
        if (title.length === 0 || title.length > MAX_TITLE || title !== payload.title) return reject('InvalidTitle')
        return { title, status: payload.status, author: AUTHOR, created: date, updated: date }
      }
      case 'status':
        if (task === null) return reject('UnknownTask')
        if (task.author !== AUTHOR) return reject('NotAuthor')
        return { ...task, status: payload.status, updated: date }
      default:
        return reject('UnknownOperation')
    }
  }
}

/**
 * The app's kernel: identity, storage, the `tasks` collection and sync. The page runs it on
 * IndexedDB (`new TaskKernel('name')`), the node on a folder, tests and the simulator in memory.
 */
export class TaskKernel extends SimpleKernel {
  /** The tasks: `tasks.state` is `{ [id]: Task }`, `tasks.$()` its neuron. */
  readonly tasks: Tasks = this.store.register('tasks', Tasks)

  /**
   * Adds a task on the user's chain.
   *
   * @returns the new task's id
   * @throws KernelError `InvalidBlock` when the rules refuse it (the message says why)
   */
  async addTask (title: string, status: Status = 'todo'): Promise<string> {
    const op: TaskOp = { op: 'add', title: title.trim(), status }
    const feed = await this.createBlock('tasks', op)
    return toHex((feed.last as { sig: Uint8Array }).sig)
  }

  /**
   * Moves one of the user's own tasks to another status.
   *
   * @throws KernelError `InvalidBlock` when the rules refuse it (`NotAuthor`, `UnknownTask` ...)
   */
  async setStatus (id: string, status: Status): Promise<void> {
    const op: TaskOp = { op: 'status', id, status }
    await this.createBlock('tasks', op)
  }
}

/** The tasks of a collection state, newest first (ties broken by id, so every peer agrees). */
export function listTasks (state: Readonly<Record<string, Task>>): TaskEntry[] {
  return Object.entries(state)
    .map(([id, task]) => ({ id, ...task }))
    .sort((a, b) => b.created - a.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/** Why a kernel call failed: the rule's reason (e.g. `NotAuthor`) when a rule refused the block. */
export function reasonOf (err: unknown): string {
  const cause = (err as { cause?: { reason?: unknown } } | null)?.cause
  if (typeof cause?.reason === 'string') return cause.reason
  return err instanceof Error ? err.message : String(err)
}
