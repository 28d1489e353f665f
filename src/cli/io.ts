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
}

/** The real process streams. */
export function processIo (): Io {
  return {
    async readStdin () {
      const chunks: Uint8Array[] = []
      for await (const c of process.stdin) chunks.push(c as Uint8Array)
      return new Uint8Array(Buffer.concat(chunks))
    },
    stdout: data => { process.stdout.write(data) },
    stderr: text => { process.stderr.write(text) },
    env: process.env,
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
