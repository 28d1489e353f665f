// Creating a folder and its parents without Node's recursive mkdir, which never returns where a
// parent exists but refuses a child with ENOENT (any path under /proc: it spins at full CPU,
// on the main thread or in the thread pool, and the process ignores SIGTERM meanwhile).
import { mkdirSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'

/**
 * @internal Creates `dir` and its missing parents, as `mkdirSync(dir, { recursive: true })`
 * does, one level at a time: it walks the path once, so it ends after at most one step per
 * level.
 *
 * @throws the file system's error (`ENOENT`, `EACCES`, `EROFS`, `ENOTDIR`, …), or an Error with
 *   code `ENOTDIR` when a part of the path is a file
 */
export function makeDirs (dir: string): void {
  const missing: string[] = []
  for (let p = resolve(dir); ; p = dirname(p)) {
    let isDir: boolean
    try {
      isDir = statSync(p).isDirectory()
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
      missing.push(p)
      if (dirname(p) === p) break
      continue
    }
    if (!isDir) throw Object.assign(new Error(`ENOTDIR: not a directory, ${p}`), { code: 'ENOTDIR' })
    break
  }
  for (const p of missing.reverse()) {
    try {
      mkdirSync(p)
    } catch (e) {
      // made meanwhile by another process: fine when it is a directory
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(p, { throwIfNoEntry: false })?.isDirectory() === true) continue
      throw e
    }
  }
}
