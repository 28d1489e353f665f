import { PicoError } from '../errors.js'

/**
 * Stable codes of {@link CliError}: a command-line mistake, reported on stderr with the
 * usage text and exit code 1.
 */
export type CliErrorCode =
  | 'UnknownCommand'
  | 'UnknownFlag'
  | 'Usage'
  | 'RefusingToOverwrite'
  | 'InvalidSecret'
  | 'InvalidSecretFile'
  | 'MissingEnvVar'
  | 'InvalidStart'
  | 'InvalidEnd'
  | 'FileNotFound'

/** Error raised by the `picostack` command for bad arguments or files. */
export class CliError extends PicoError<CliErrorCode> {}

/** @internal */
export const cliErr = (code: CliErrorCode, message?: string): CliError => new CliError(code, message)
