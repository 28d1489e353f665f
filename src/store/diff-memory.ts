// DiffMemory: a Memory whose blocks carry patches; mutate() writes the patch for you.
import type { Block, Feed } from '../feed/index.js'
import { fromHex, getPublicKey, toHex } from '../feed/index.js'
import { Memory } from './memory.js'
import { formatPatch, applyPatch, isPatch, applyLegacyPatch } from './patch.js'
import type { Branch } from './store.js'
import type { ComputeContext, Rejection, Reschedule } from './context.js'
import { StoreError } from './errors.js'

/** Context of {@link DiffMemory.validate}: the compute context plus the previous value. */
export interface ValidateContext<T> extends ComputeContext {
  /** The value before the patch. */
  previous: T
}

/** A DiffMemory object: the application's fields plus the block dates it keeps. */
export type Diffable = Record<string, unknown> & {
  /** Date of the block that created the object, ms since the epoch. */
  _created?: number
  /** Date of the block that last changed it, ms since the epoch. */
  _updated?: number
}

/**
 * A Memory whose objects are plain objects changed by patches (set / inc / delete:
 * unlike the original's merge, a number is never doubled and a key can be removed). Blocks written by picostore 3.0.4's DiffMemory (its legacy patches) are applied
 * with picostore's semantics. Override {@link DiffMemory.validate} to enforce rules.
 *
 * @example
 * ```ts
 * class Profiles extends DiffMemory {
 *   validate (draft, { reject }) { if (!draft.name) return reject('NameMustBeSet') }
 * }
 * const profiles = store.register('profile', Profiles)
 * await profiles.mutate(null, p => ({ ...p, name: 'alice' }), sk)
 * ```
 */
export class DiffMemory<T extends Diffable = Diffable> extends Memory<T> {
  override initialValue: T | undefined = {} as T

  /**
   * Rules for a patched draft; call `ctx.reject()`/`ctx.postpone()` (or return their result) to refuse.
   *
   * @param _draft - the value after the patch (with `_created`/`_updated`)
   * @param _ctx - the compute context and `previous`
   * @returns anything; only reject/postpone calls matter
   */
  validate (_draft: T, _ctx: ValidateContext<T>): unknown {
    return false
  }

  override async compute (value: T, ctx: ComputeContext): Promise<T | Rejection | Reschedule> {
    const base = (value ?? {}) as T
    const draft = (isPatch(ctx.payload) ? applyPatch(base, ctx.payload) : applyLegacyPatch(base, ctx.payload)) as T
    const out = { ...draft, _updated: ctx.date, _created: base._created ?? ctx.date } as T
    await this.validate(out, { ...ctx, previous: value })
    return out
  }

  /**
   * Reads the object this author's branch addresses, lets `fn` build the next value, and
   * creates a block with the patch between them (object id derived exactly as dispatch does, so the block updates the object it was built from).
   *
   * @param branch - see {@link Branch}
   * @param fn - receives the current value (frozen), returns the next value
   * @param secret - author's secret key
   * @returns the branch with the new block
   * @throws TypeError when `fn` returns undefined; StoreError `Rejected` when the rules refuse;
   *   `Reentrant` when called from inside a rule
   */
  async mutate (branch: Branch, fn: (value: T) => T | Promise<T>, secret: Uint8Array | string): Promise<Feed> {
    this.store._checkReentry('mutate') // it creates a block after its own awaits
    const pk = fromHex(getPublicKey(secret))
    const feed = await this.store.readBranch(branch, pk)
    let owner = pk
    let CHAIN = ''
    const first = feed.first
    if (first !== undefined) {
      if (first.genesis) { owner = first.key; CHAIN = toHex(first.sig) } else {
        const c = await this.store.repo.chainOf(first.sig)
        if (c === undefined) throw new StoreError('BranchNotFound', 'branch is not stored')
        owner = c.owner; CHAIN = toHex(c.chainId)
      }
    }
    const id = await this.idOf({
      // The block does not exist yet: an idOf that reads it cannot serve mutate().
      get block (): Block { throw new TypeError('idOf() read ctx.block, which mutate() cannot give (the block is built from the id)') },
      parentBlock: feed.last ?? null, owner, signer: pk, AUTHOR: toHex(owner), CHAIN, root: this.name, payload: undefined, date: Date.now()
    })
    const old = this.readState(id)
    const next = await fn(old)
    if (next === undefined) throw new TypeError('Expected mutate to return new state, received undefined!')
    return await this.store.createBlock(this.name, formatPatch(old, next), secret, { branch: feed })
  }
}
