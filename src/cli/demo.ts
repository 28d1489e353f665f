import { SimpleKernel } from '../kernel/index.js'
import { TodoKernel } from '../todo/index.js'
import { toHex as hex } from '../feed/index.js'
import type { KernelDb, KernelOptions } from '../kernel/index.js'
import type { Slice } from '../store/index.js'

/** State of the node's built-in `notes` slice. */
export interface NotesState {
  /** Notes accepted so far. */
  count: number
  /** The latest note, if any. */
  last: { author: string, text: string, date: number } | null
}

/** Longest note text the built-in slice accepts (characters). */
export const MAX_NOTE: number = 1024

/**
 * The kernel `picostack node` runs, and the demo page too: the {@link TodoKernel} (the page's
 * `todos`, so the node validates them with the page's own rules) plus `notes`, so two nodes
 * have something to sync from a terminal. A `note` block carries `{ text }`; the slice counts
 * notes and keeps the latest.
 */
export class NodeKernel extends TodoKernel {
  /** The `notes` slice: `notes.state` is a {@link NotesState}, `notes.on(cb)` subscribes. */
  readonly notes: Slice<NotesState>

  /**
   * @param db - a classic-level folder or an abstract-level database
   * @param opts - kernel options
   */
  constructor (db?: KernelDb | string, opts?: KernelOptions) {
    super(db, opts)
    this.notes = this.store.register<NotesState>({
      name: 'notes',
      initialValue: { count: 0, last: null },
      filter: ({ block }) => {
        const { type, text } = SimpleKernel.decodeBlock(block.body)
        if (type !== 'note') return true // not ours: ignore silently
        if (typeof text !== 'string' || text.length > MAX_NOTE) return 'InvalidNote'
        return false
      },
      reducer: ({ block, state, AUTHOR }) => {
        const { text, date } = SimpleKernel.decodeBlock(block.body)
        return { count: state.count + 1, last: { author: AUTHOR, text: text as string, date } }
      }
    })
  }

  /**
   * Appends a note to this node's chain.
   *
   * @param text - the note
   * @returns the new block's signature (hex)
   */
  async createNote (text: string): Promise<string> {
    const feed = await this.createBlock('note', { text })
    const last = feed.last
    if (last === undefined) throw new Error('createBlock returned an empty feed')
    return hex(last.sig)
  }
}
