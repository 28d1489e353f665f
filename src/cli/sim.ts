// `picostack sim FILE`: runs a simulation scenario (a module whose default export is an async
// function of the Simulator) in virtual time, with a live view on stderr, an ndjson log and an
// HTML report. Exit code 0 only when every honest peer converged.
import { closeSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { resolve } from 'node:path'
import { LiveView, Report, Simulator, parseDuration, runParallel } from '../sim/index.js'
import type { LogEvent, RunResult } from '../sim/index.js'
import { importScenario, playScenario } from '../sim/load.js'
import type { Scenario } from '../sim/load.js'
import { cliErr } from './errors.js'
import { parseFlags } from './io.js'
import type { Command, Io } from './io.js'

export const SIM_HELP: string = `Usage: picostack sim FILE [options]

Runs a simulation scenario in virtual time: FILE (.ts, .js or .mjs) default-exports an async
function that receives the Simulator, launches peers and usually calls sim.run().

Options:
  --seed N            seed of every random stream (default 0); same seed, same log
  --until DURATION    virtual time to stop at (e.g. 30s, 10m, 1h; overrides the scenario's)
  --out FILE          write the ndjson event log there
  --report FILE       write a self-contained HTML report there
  --speed X           at most X virtual ms per real ms (paces the live view; default: full speed)
  --interval DURATION virtual time between metrics lines (default 1s)
  --workers N         run the peers in N worker threads (default 1); same seed and N, same log
  --quiet             no live view
  --help              this text

Exit code: 0 when every live honest peer converged; 1 when the run ended without converging,
a peer's init failed, the scenario threw, or a peer raised an error (all logged); 2 on a usage
mistake (an unknown flag, a bad value, no FILE).`

interface SimArgs {
  file: string
  seed: number
  until?: string
  out?: string
  report?: string
  speed?: number
  interval?: string
  workers: number
  quiet: boolean
  help: boolean
}

/**
 * Parses `picostack sim` arguments.
 *
 * @param argv - the arguments after `sim`
 * @returns the options
 * @throws CliError `UnknownFlag` (naming the flag) or `Usage`
 */
export function parseSimArgs (argv: string[]): SimArgs {
  const parsed = parseFlags(argv, {
    seed: { type: 'string' },
    until: { type: 'string' },
    out: { type: 'string' },
    report: { type: 'string' },
    speed: { type: 'string' },
    interval: { type: 'string' },
    workers: { type: 'string' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' }
  })
  const v = parsed.values
  const help = v.help === true
  if (!help && parsed.positionals.length !== 1) throw cliErr('Usage', parsed.positionals.length === 0 ? 'missing scenario FILE' : `expected one scenario FILE, got ${parsed.positionals.length}`)
  const out: SimArgs = { file: parsed.positionals[0] ?? '', seed: 0, workers: 1, quiet: v.quiet === true, help }
  if (v.seed !== undefined) {
    const n = Number(v.seed)
    if (v.seed.trim() === '' || !Number.isSafeInteger(n)) throw cliErr('Usage', `--seed expected an integer, got ${v.seed}`)
    out.seed = n
  }
  for (const k of ['until', 'interval'] as const) {
    const s = v[k]
    if (s === undefined) continue
    try { parseDuration(s, `--${k}`) } catch { throw cliErr('Usage', `--${k} expected a duration like 30s, 10m or 1h, got ${s}`) }
    out[k] = s
  }
  if (v.speed !== undefined) {
    const n = Number(v.speed)
    if (!(n > 0) || !Number.isFinite(n)) throw cliErr('Usage', `--speed expected a positive number, got ${v.speed}`)
    out.speed = n
  }
  if (v.workers !== undefined) {
    const n = Number(v.workers)
    if (v.workers.trim() === '' || !Number.isInteger(n) || n < 1 || n > 256) throw cliErr('Usage', `--workers expected an integer from 1 to 256, got ${v.workers}`)
    if (n > 1 && out.speed !== undefined) throw cliErr('Usage', '--speed paces one thread: it does not go with --workers')
    out.workers = n
  }
  if (v.out !== undefined) out.out = v.out
  if (v.report !== undefined) out.report = v.report
  return out
}

/** The scenario file's absolute path, once it is known to be a readable file. */
function scenarioPath (file: string): string {
  const path = resolve(file)
  try {
    if (!statSync(path).isFile()) throw new Error('not a file')
  } catch (e) {
    throw cliErr('FileNotFound', `cannot read scenario ${file}: ${(e as { code?: string }).code ?? (e as Error).message}`)
  }
  return path
}

/** An ndjson file written in large synchronous chunks (complete up to the last event on any exit). */
function logFile (path: string): { line: (l: string) => void, close: () => void } {
  const fd = openSync(path, 'w')
  let buf: string[] = []
  let size = 0
  const flush = (): void => {
    if (buf.length === 0) return
    writeSync(fd, buf.join(''))
    buf = []
    size = 0
  }
  return {
    line: l => { buf.push(l + '\n'); size += l.length; if (size > 1 << 16) flush() },
    close: () => { flush(); closeSync(fd) }
  }
}

/**
 * Runs `picostack sim`.
 *
 * @param argv - arguments after `sim`
 * @param io - streams
 * @returns the exit code
 */
export async function runSim (argv: string[], io: Io): Promise<number> {
  const args = parseSimArgs(argv)
  if (args.help) { io.stdout(SIM_HELP + '\n'); return 0 }
  const path = scenarioPath(args.file)
  const scenario: Scenario | null = args.workers > 1 ? null : await importScenario(path, args.file) // workers load their own
  const log = args.out === undefined ? null : logFile(args.out)
  const report = args.report === undefined ? null : new Report()
  let live: LiveView | null = null
  const listeners: Array<(e: LogEvent) => void> = []
  if (report !== null) listeners.push(e => report.onevent(e))
  const options = {
    seed: args.seed,
    ...(args.until === undefined ? {} : { until: args.until }),
    ...(args.interval === undefined ? {} : { interval: args.interval }),
    ...(log === null ? {} : { out: log.line }),
    onevent: (e: LogEvent) => {
      if (e.type === 'sim' && e.event === 'start' && !args.quiet) {
        live = new LiveView({ write: io.stderr, tty: io.stderrIsTTY === true, until: e.until ?? 0, columns: io.columns ?? 80 })
      }
      live?.onevent(e)
      for (const l of listeners) l(e)
    }
  }
  let result: RunResult | undefined
  const wall = performance.now()
  let failure: unknown = null
  try {
    if (scenario === null) {
      result = await runParallel(path, { ...options, workers: args.workers })
    } else {
      result = await playScenario(scenario, new Simulator({ ...options, ...(args.speed === undefined ? {} : { speed: args.speed }) }))
    }
  } catch (e) {
    failure = e
  } finally {
    (live as LiveView | null)?.finish()
    log?.close()
    if (report !== null && args.report !== undefined) writeFileSync(args.report, report.html(`picostack sim ${args.file} --seed ${args.seed}`))
  }
  if (failure !== null) {
    io.stderr(`${(failure as Error)?.message ?? String(failure)}\n`)
    return 1
  }
  const r = result as RunResult
  const seconds = ((performance.now() - wall) / 1000).toFixed(1)
  if (!r.converged) {
    io.stderr(`NotConverged: the run ended (${r.reason}) at ${(r.time / 1000).toFixed(1)} s of virtual time with convergence ${(r.convergence * 100).toFixed(1)}%: not every live honest peer holds every block (replay: picostack sim ${args.file} --seed ${args.seed})\n`)
    return 1
  }
  if (r.errors > 0) {
    io.stderr(`PeerErrors: ${r.errors} error(s) inside peers, see the log (replay: picostack sim ${args.file} --seed ${args.seed})\n`)
    return 1
  }
  io.stdout(`converged at ${(r.time / 1000).toFixed(1)} s of virtual time (${r.events} events, ${seconds} s wall)\n`)
  return 0
}

/** The `sim` subcommand. */
export const simCommand: Command = {
  summary: 'run a swarm simulation scenario in virtual time',
  usage: SIM_HELP + '\n',
  run: runSim
}
