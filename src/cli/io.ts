import { parseArgs } from 'node:util'
import type { ParseArgsConfig } from 'node:util'
import { cliErr } from './errors.js'

// What a command may touch besides files: its streams and environment, injectable for tests.

/** The streams and environment a command runs with. */
export interface Io {
  /** All of stdin. */
  readStdin (): Promise<Uint8Array>
  /** Writes to stdout (bytes as they are, strings as UTF-8). */
  stdout (data: Uint8Array | string): void
  /** Writes to stderr. */
  stderr (text: string): void
  /** Environment variables. */
  env: Record<string, string | undefined>
  /** stderr is a terminal (live views redraw in place). Optional; false when absent. */
  stderrIsTTY?: boolean
  /** Terminal width, when known. */
  columns?: number
  /**
   * Aborted once stdout's reader has gone (EPIPE, as in `picostack node | head -3`): later
   * output is dropped, and a long-lived command halts as on SIGTERM. Optional.
   */
  stdoutClosed?: AbortSignal
}

let stdoutGone: AbortController | null = null

/** Aborts when writing to this process's stdout fails because its reader has gone (once per process). */
function watchStdout (): AbortSignal {
  if (stdoutGone === null) {
    const gone = stdoutGone = new AbortController()
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e
      gone.abort()
    })
  }
  return stdoutGone.signal
}

/** The real process streams. */
export function processIo (): Io {
  const closed = watchStdout()
  return {
    async readStdin () {
      const chunks: Uint8Array[] = []
      for await (const c of process.stdin) chunks.push(c as Uint8Array)
      return new Uint8Array(Buffer.concat(chunks))
    },
    stdout: data => { if (!closed.aborted) process.stdout.write(data) },
    stderr: text => { process.stderr.write(text) },
    env: process.env,
    stdoutClosed: closed,
    stderrIsTTY: process.stderr.isTTY === true,
    ...(process.stderr.columns === undefined ? {} : { columns: process.stderr.columns })
  }
}

/** A subcommand of `picostack`: add one to the table in main.ts. */
export interface Command {
  /** One line for the command list. */
  summary: string
  /** Full usage text (shown by `--help` and after errors). */
  usage: string
  /**
   * Runs with the arguments after the command name.
   *
   * @returns the exit code
   */
  run (args: string[], io: Io): Promise<number>
}

/** How long a command may take to halt after SIGINT/SIGTERM before the process exits anyway (ms). */
export const HALT_DEADLINE_MS = 700

/**
 * Runs a long-lived command until SIGINT or SIGTERM (or until `closed` aborts: its output's
 * reader went away): `run` gets a signal that they abort.
 * After the signal the process exits within {@link HALT_DEADLINE_MS} even if something
 * (a DHT socket, a stuck close) still holds the event loop: with `run`'s exit code once it
 * returned, else 1. A second Ctrl-C kills the process at once.
 *
 * @param run - the command, given the stop signal
 * @param closed - {@link Io.stdoutClosed}: halts the command like a signal
 * @returns what `run` returns
 */
export async function untilSignal (run: (signal: AbortSignal) => Promise<number>, closed?: AbortSignal): Promise<number> {
  const ac = new AbortController()
  let code: number | undefined
  const stop = (): void => {
    if (ac.signal.aborted) return
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    closed?.removeEventListener('abort', stop)
    ac.abort()
    setTimeout(() => process.exit(code ?? 1), HALT_DEADLINE_MS).unref()
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  if (closed?.aborted === true) stop()
  else closed?.addEventListener('abort', stop)
  try {
    code = await run(ac.signal)
    return code
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    closed?.removeEventListener('abort', stop)
  }
}

/** What {@link parseFlags} returns for `options`. */
export type ParsedFlags<O extends NonNullable<ParseArgsConfig['options']>> = ReturnType<typeof parseArgs<{ args: string[], options: O, allowPositionals: true, strict: true }>>

/**
 * @internal `parseArgs` in strict mode with positionals; its errors become CliErrors:
 * `UnknownFlag` naming the flag, else `Usage`.
 */
export function parseFlags<const O extends NonNullable<ParseArgsConfig['options']>> (args: string[], options: O): ParsedFlags<O> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (e) {
    const m = /'([^']+)'/.exec((e as Error).message)
    if ((e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw cliErr('UnknownFlag', `unknown flag ${m?.[1] ?? ''}`.trim())
    throw cliErr('Usage', (e as Error).message)
  }
}
