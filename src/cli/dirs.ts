import { makeDirs } from '../internal/dirs.js'
import { cliErr } from './errors.js'

/**
 * @internal Creates the folder `dir` and its parents for a command (the node's `--data`, a feed
 * file's folder, `init`'s project).
 *
 * @throws CliError `CannotCreateDirectory` naming `dir` and the file system's reason (a part of
 *   the path is a file, no permission, a read-only or virtual file system)
 */
export function makeDirsOrFail (dir: string): void {
  try {
    makeDirs(dir)
  } catch (e) {
    // Node's message starts with the errno code: `ENOENT: no such file or directory, mkdir '…'`
    throw cliErr('CannotCreateDirectory', `${dir}: ${(e as Error).message}`)
  }
}
