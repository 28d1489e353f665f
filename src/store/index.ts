/**
 * The block engine (picostore 3.x compatible): {@link Store} routes each block to its
 * {@link Memory} (by type) and to legacy slices (by filter), commits every accepted block with
 * all its effects in one atomic batch, keeps orphans in a bounded mempool, retries postponed
 * blocks and garbage-collects expired state and the chains no state references.
 *
 * @example
 * ```ts
 * import { Store, Memory, decodeBlock } from 'picostack/store'
 * const store = new Store(db)
 * store.register({
 *   name: 'clock', initialValue: 0,
 *   filter: ({ block }) => decodeBlock(block.body).type !== 'tick',
 *   reducer: ({ block }) => decodeBlock(block.body).time as number
 * })
 * await store.load()
 * await store.createBlock('tick', { time: Date.now() }, sk)
 * ```
 *
 * @packageDocumentation
 */
export { Store } from './store.js'
export type { StoreOptions, DispatchOptions, DispatchResult, Rejected, StoreEvent, StateNeuron, GcOptions, Branch, Observed } from './store.js'
export { Memory, normalizeId, LATCH_DEPTH } from './memory.js'
export { DiffMemory } from './diff-memory.js'
export type { ValidateContext, Diffable } from './diff-memory.js'
export type { SliceSpec, FilterContext, ReducerContext, TrapContext, Slice } from './slice.js'
export type { DispatchContext, ComputeContext, Rejection, Reschedule, Latch, Mutate } from './context.js'
export type { ObjectId } from './keys.js'
export { encodeBody, decodeBody, decodeBlock } from './body.js'
export type { BlockBody, DecodedBlock } from './body.js'
export { Lock } from './lock.js'
export type { LockOptions } from './lock.js'
export { Mempool } from './mempool.js'
export { formatPatch, applyPatch, isPatch, applyLegacyPatch } from './patch.js'
export { StoreError } from './errors.js'
export type { StoreErrorCode, RejectionCode } from './errors.js'
export { PATCH_MAX_DEPTH } from './patch.js'
export type { Patch, PatchOp, PatchPath, PlainData } from './patch.js'
export type { MempoolOptions } from './mempool.js'
