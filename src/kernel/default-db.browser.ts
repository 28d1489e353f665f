// The kernel's embedded default database in browsers: browser-level (IndexedDB) under a
// database name, or memory-level when no name is given. Selected by package.json "browser".
import { BrowserLevel } from 'browser-level'
import { MemoryLevel } from 'memory-level'
import type { KernelDb } from './kernel.js'

/**
 * Opens the default database for a location.
 *
 * @param location - an IndexedDB database name, or undefined for an in-memory database
 * @returns a database with binary keys and values
 */
export function defaultDb (location?: string): KernelDb {
  const opts = { keyEncoding: 'view', valueEncoding: 'view' } as const
  // stored as views: memory-level's default 'buffer' store wraps every key and value in a Buffer
  if (location === undefined) return new MemoryLevel<Uint8Array, Uint8Array>({ ...opts, storeEncoding: 'view' })
  return new BrowserLevel<Uint8Array, Uint8Array>(location, opts)
}
