/**
 * The block store (the successor of picorepo 2.x) on any abstract-level database: stores the
 * blocks of many feeds, indexed so that a chain is re-assembled from any of its blocks and
 * each owner's current chain is found; `prepareBlock` / `prepareRollback` hand out batch
 * operations so the block engine can commit a block with its own state in one batch.
 *
 * @example
 * ```ts
 * import { MemoryLevel } from 'memory-level'
 * import { Repo } from 'picostack/repo'
 * const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
 * const repo = new Repo(db)
 * await repo.merge(feed)
 * const chain = await repo.loadHead(pk)
 * ```
 *
 * @packageDocumentation
 */
export { Repo, RepoStage } from './repo.js'
export type {
  RepoDb, RepoSublevel, BatchOp, MergeStrategy, RefusalReason, PrepareResult, PrepareOptions, RollbackPlan, LoadStop, ListEntry, RepoOptions
} from './repo.js'
export type { BlockLocation, ChainInfo } from './codec.js'
export { toDot, bs } from './dot.js'
export type { DotOptions, DotBuilder } from './dot.js'
export { RepoError } from './errors.js'
export type { RepoErrorCode } from './errors.js'
export type { ViewOptions } from './repo.js'
