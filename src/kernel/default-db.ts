// The kernel's embedded default database in Node: classic-level (LevelDB) in a folder, or
// memory-level when no folder is given. Browser bundles get default-db.browser.ts instead
// (package.json "browser" field), so LevelDB's native addon never reaches a bundle.
import { ClassicLevel } from 'classic-level'
import { MemoryLevel } from 'memory-level'
import { makeDirs } from '../internal/dirs.js'
import type { KernelDb } from './kernel.js'

/**
 * Opens the default database for a location.
 *
 * @param location - a folder for classic-level, or undefined for an in-memory database
 * @returns a database with binary keys and values
 */
export function defaultDb (location?: string): KernelDb {
  const opts = { keyEncoding: 'view', valueEncoding: 'view' } as const
  // stored as views: memory-level's default 'buffer' store wraps every key and value in a Buffer
  if (location === undefined) return new MemoryLevel<Uint8Array, Uint8Array>({ ...opts, storeEncoding: 'view' })
  // The folder is made here, not by classic-level's recursive mkdir, which never returns on
  // some paths (under /proc); one that cannot be made fails the open with the reason.
  let unusable: unknown
  try { makeDirs(location) } catch (e) { unusable = e }
  const db = unusable === undefined
    ? new ClassicLevel<Uint8Array, Uint8Array>(location, opts)
    : new (class extends ClassicLevel<Uint8Array, Uint8Array> {
      async _open (): Promise<void> { throw unusable }
    })(location, opts)
  // Opening starts now rather than after the constructor (abstract-level's deferred open), so
  // LevelDB's file work overlaps the rest of the kernel's construction. A failure surfaces as
  // before: every later operation rejects (LEVEL_DATABASE_NOT_OPEN, with the cause).
  db.open().catch(() => {})
  return db
}
