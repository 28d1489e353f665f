import { PicoError } from '../errors.js'

/**
 * Exit codes of every `picostack` command: 0 success, 1 a runtime failure (a file, a key, a
 * feed, the network), 2 a usage mistake (unknown command or flag, missing or malformed
 * argument).
 */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const

/** The exit-code convention as one line, shown by every `--help`. */
export const EXIT_CODES_HELP: string = 'Exit codes: 0 success, 1 runtime failure (one `error …` line on stderr), 2 usage mistake (the error, then the usage).'

/**
 * Stable codes of {@link CliError}. The usage mistakes (`UnknownCommand`, `UnknownFlag`,
 * `Usage`, `InvalidStart`, `InvalidEnd`, `InvalidName`, `DirectoryNotEmpty`) exit with 2 and show the command's usage; the others
 * exit with 1 after one `error …` line.
 */
export type CliErrorCode =
  | 'UnknownCommand'
  | 'UnknownFlag'
  | 'Usage'
  | 'InvalidStart'
  | 'InvalidEnd'
  | 'RefusingToOverwrite'
  | 'InvalidSecret'
  | 'InvalidSecretFile'
  | 'MissingEnvVar'
  | 'FileNotFound'
  | 'CannotCreateDirectory'
  | 'InvalidBody'
  | 'OutOfRange'
  | 'InvalidName'
  | 'DirectoryNotEmpty'
  | 'KitNotBuilt'
  | 'PackFailed'
  | 'InstallFailed'

const USAGE_CODES: ReadonlySet<CliErrorCode> = new Set<CliErrorCode>(['UnknownCommand', 'UnknownFlag', 'Usage', 'InvalidStart', 'InvalidEnd', 'InvalidName', 'DirectoryNotEmpty'])

/** Error raised by the `picostack` command for bad arguments or files. */
export class CliError extends PicoError<CliErrorCode> {
  /** True for a usage mistake (exit code 2, usage shown), false for a runtime failure. */
  get usage (): boolean {
    return USAGE_CODES.has(this.code)
  }
}

/** @internal */
export const cliErr = (code: CliErrorCode, message?: string): CliError => new CliError(code, message)
