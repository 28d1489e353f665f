// The live terminal view: a progress bar of virtual time, peers, connections, throughput,
// convergence and custom event counts. Redrawn in place on a TTY (at most 10 times a real
// second); one plain line at most once a real second otherwise. Fed with the log's events.
import type { LogEvent } from './log.js'
import { real } from './runtime.js'

/** Options of {@link LiveView}. */
export interface LiveViewOptions {
  /** Writes text (e.g. to stderr). */
  write: (text: string) => void
  /** Redraw in place with ANSI escapes (a terminal) instead of printing plain lines. */
  tty: boolean
  /** Virtual time the run goes to, ms (for the progress bar). */
  until: number
  /** Terminal width (80). */
  columns?: number
}

const fmtTime = (ms: number): string => {
  const s = Math.floor(ms / 1000)
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
}
const fmtBytes = (n: number): string => n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(1)} MiB`

/** Summarises log events on a terminal while a simulation runs. */
export class LiveView {
  readonly #o: LiveViewOptions
  #t = 0
  #peers = 0
  #conns = 0
  #rate = 0
  #conv = 0
  #heads = 0
  #created = 0
  #interval = 1000
  #lastMetrics = 0
  readonly #custom: Map<string, { n: number, last: number }> = new Map()
  #drawn = 0
  #lastDraw = -Infinity
  #dirty = false

  /**
   * A live view of a run.
   * @param options - output, TTY mode, until
   */
  constructor (options: LiveViewOptions) {
    this.#o = options
  }

  /** Feeds one log event. */
  onevent (ev: LogEvent): void {
    this.#t = ev.t
    if (ev.type === 'custom') {
      const c = this.#custom.get(ev.name) ?? { n: 0, last: 0 }
      c.n++
      c.last = ev.t
      this.#custom.set(ev.name, c)
    } else if (ev.type === 'sim' && ev.event === 'start') {
      this.#interval = ev.interval
    } else if (ev.type === 'metrics') {
      const dt = Math.max(1, ev.t - this.#lastMetrics)
      this.#lastMetrics = ev.t
      this.#peers = ev.peers
      this.#conns = ev.connections
      this.#rate = (ev.bytes * 1000) / Math.min(dt, this.#interval)
      this.#conv = ev.convergence
      this.#heads = ev.heads
      this.#created = ev.created
      this.#dirty = true
      const now = real.now()
      if (now - this.#lastDraw >= (this.#o.tty ? 100 : 1000)) { this.#lastDraw = now; this.#draw() }
    }
  }

  /** Draws the final state. */
  finish (): void { if (this.#dirty) this.#draw() }

  /** The current summary, one string per line. */
  lines (): string[] {
    const width = Math.max(20, Math.min(60, (this.#o.columns ?? 80) - 30))
    const share = this.#o.until > 0 ? Math.min(1, this.#t / this.#o.until) : 1
    const fill = Math.round(share * width)
    const out = [
      `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${fmtTime(this.#t)} / ${fmtTime(this.#o.until)}`,
      `peers ${this.#peers}  connections ${this.#conns}  ${fmtBytes(Math.round(this.#rate))}/s  blocks ${this.#created}  convergence ${(this.#conv * 100).toFixed(1)}% (heads ${(this.#heads * 100).toFixed(1)}%)`
    ]
    for (const [name, c] of [...this.#custom].sort((a, b) => b[1].n - a[1].n).slice(0, 8)) {
      out.push(`  ${name.padEnd(20)} ${String(c.n).padStart(7)}  last ${fmtTime(this.#t - c.last)} ago`)
    }
    return out
  }

  #draw (): void {
    this.#dirty = false
    const lines = this.lines()
    if (!this.#o.tty) { this.#o.write(lines.slice(0, 2).join('  |  ') + '\n'); return }
    let text = this.#drawn > 0 ? `\x1b[${this.#drawn}A` : ''
    for (const l of lines) text += '\x1b[2K' + l + '\n'
    for (let i = lines.length; i < this.#drawn; i++) text += '\x1b[2K\n'
    this.#o.write(text)
    this.#drawn = Math.max(this.#drawn, lines.length)
  }
}
