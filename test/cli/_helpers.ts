// Helpers of the CLI tests: `picostack` child processes whose output lines a test awaits.
import { spawn } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'

/**
 * How a child runs the command: `source` runs src/cli/main.ts through tsx (no build needed),
 * `bin` runs bin/picostack.js, the published entry point on dist/ (`npm run build` first).
 */
export type Entry = 'source' | 'bin'

const root = new URL('../../', import.meta.url)

/** The node arguments that run `picostack` from `entry`. */
export function entryArgs (entry: Entry): string[] {
  return entry === 'bin' ? ['bin/picostack.js'] : ['--conditions=source', '--import', 'tsx', 'src/cli/main.ts']
}

function newest (dir: string): number {
  let t = 0
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    const s = statSync(p)
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs)
  }
  return t
}

/** Throws unless dist/ was built after the last change in src/ (the bin runs dist/). */
export function assertBuilt (): void {
  const main = new URL('dist/cli/main.js', root)
  let built: number
  try { built = statSync(main).mtimeMs } catch { throw new Error('dist/ is missing: run npm run build before the bin tests') }
  if (newest(new URL('src', root).pathname) > built) throw new Error('dist/ is older than src/: run npm run build before the bin tests')
}

/** A `picostack` child process whose stdout lines a test can await. */
export class CliProcess {
  readonly child: ChildProcessWithoutNullStreams
  readonly lines: string[] = []
  stderr = ''
  readonly exited: Promise<number | null>
  #waiters: Array<() => void> = []
  #buf = ''

  /**
   * @param args - arguments after `picostack`
   * @param entry - how to run the command
   */
  constructor (args: string[], entry: Entry = 'source') {
    this.child = spawn(process.execPath, [...entryArgs(entry), ...args], { stdio: 'pipe', cwd: root })
    this.child.stdout.setEncoding('utf8')
    this.child.stdout.on('data', (chunk: string) => {
      this.#buf += chunk
      const parts = this.#buf.split('\n')
      this.#buf = parts.pop() ?? ''
      this.lines.push(...parts)
      for (const wake of this.#waiters.splice(0)) wake()
    })
    this.child.stderr.setEncoding('utf8')
    this.child.stderr.on('data', (chunk: string) => { this.stderr += chunk })
    this.exited = new Promise(resolve => this.child.on('exit', code => { resolve(code); for (const wake of this.#waiters.splice(0)) wake() }))
  }

  /**
   * The first line (from `from` on) matching `re`; waits for output, never on a timer. A line
   * matching `unless` first means `re` will not come: it fails at once, with the output.
   */
  async line (re: RegExp, from = 0, unless?: RegExp): Promise<RegExpMatchArray> {
    for (;;) {
      for (let i = from; i < this.lines.length; i++) {
        const m = this.lines[i]!.match(re)
        if (m !== null) return m
        if (unless?.test(this.lines[i]!) === true) throw new Error(`node printed "${this.lines[i]!}" instead of ${re}:\n${this.lines.join('\n')}\n${this.stderr}`)
      }
      if (this.child.exitCode !== null) throw new Error(`node exited without printing ${re}:\n${this.lines.join('\n')}\n${this.stderr}`)
      await new Promise<void>(resolve => this.#waiters.push(resolve))
    }
  }

  /** Sends SIGTERM (unless it exited) and resolves to the exit code. */
  async stop (): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM')
    return await this.exited
  }
}

/**
 * Starts `picostack node` processes (or any command with `run`) and temporary folders that
 * are stopped and removed after the test.
 */
export function nodes (t: TestContext, entry: Entry = 'source'): { start: (args: string[]) => CliProcess, run: (args: string[]) => CliProcess, dir: () => string } {
  const procs: CliProcess[] = []
  const dirs: string[] = []
  t.after(async () => {
    for (const p of procs) await p.stop()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })
  return {
    start: args => { const p = new CliProcess(['node', ...args], entry); procs.push(p); return p },
    run: args => { const p = new CliProcess(args, entry); procs.push(p); return p },
    dir: () => { const d = mkdtempSync(join(tmpdir(), 'picostack-node-')); dirs.push(d); return d }
  }
}


/** A loopback UDP port nobody answers on: a DHT bootstrapping from it finds no node. */
export async function silentUdpPort (): Promise<number> {
  const udp = createSocket('udp4')
  udp.bind(0, '127.0.0.1')
  await once(udp, 'listening')
  const port = udp.address().port
  udp.close()
  return port
}
