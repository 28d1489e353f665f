// `--report`: one self-contained HTML file (inline SVG and CSS, no script, no CDN) built from
// the log's events: convergence and bandwidth over virtual time, event and byte counts per
// type, and a per-peer table.
import type { LogEvent, MetricsLogEvent } from './log.js'

interface PeerRow {
  id: number
  name: string
  honest: boolean
  state: string
  starts: number
  connections: number
  bytes: number
  dropped: number
  droppedBy: number
  errors: number
  last: Record<string, unknown>
}

const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
const fmtBytes = (n: number): string => n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(2)} MiB`

/** Collects log events and renders the HTML report. */
export class Report {
  readonly #metrics: MetricsLogEvent[] = []
  readonly #peers: Map<number, PeerRow> = new Map()
  readonly #counts: Map<string, number> = new Map()
  readonly #bytesByKind: Map<string, { conns: number, writes: number, bytes: number }> = new Map()
  #seed = 0
  #end: LogEvent | null = null
  readonly #errors: string[] = []

  /** Feeds one log event. */
  onevent (ev: LogEvent): void {
    const key = ev.type === 'custom' ? `custom ${ev.name}` : ev.type === 'metrics' ? 'metrics' : `${ev.type} ${ev.event}`
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1)
    switch (ev.type) {
      case 'metrics': this.#metrics.push(ev); break
      case 'sim':
        if (ev.event === 'start') this.#seed = ev.seed
        else if (ev.event === 'end') this.#end = ev
        else this.#errors.push(`${ev.t} ms ${ev.peer === undefined ? '' : `peer ${ev.peer} `}${ev.code}: ${ev.message}`)
        if (ev.event === 'error' && ev.peer !== undefined) { const p = this.#peers.get(ev.peer); if (p !== undefined) p.errors++ }
        break
      case 'peer': {
        if (ev.event === 'launch') { this.#peers.set(ev.peer, { id: ev.peer, name: ev.name, honest: ev.honest, state: 'pending', starts: 0, connections: 0, bytes: 0, dropped: 0, droppedBy: 0, errors: 0, last: {} }); break }
        const p = this.#peers.get(ev.peer)
        if (p === undefined) break
        if (ev.event === 'up') { p.starts++; p.state = 'up' } else if (ev.event === 'stop' || ev.event === 'crash') p.state = ev.event === 'stop' ? 'stopped' : 'crashed'
        else if (ev.event === 'end') p.state = ev.error === null ? 'ended' : `ended: ${ev.error.message}`
        else if (ev.event === 'drop') {
          p.droppedBy++
          const r = ev.remote === null ? undefined : this.#peers.get(ev.remote)
          if (r !== undefined) r.dropped++
        } else if (ev.event === 'tick') {
          const { t: _t, type: _ty, event: _e, peer: _p, name: _n, ...rest } = ev
          p.last = rest
        }
        break
      }
      case 'conn': {
        const a = this.#peers.get(ev.a)
        const b = this.#peers.get(ev.b)
        if (ev.event === 'open') { if (a !== undefined) a.connections++; if (b !== undefined) b.connections++; break }
        if (a !== undefined) a.bytes += ev.bytes
        if (b !== undefined) b.bytes += ev.bytes
        const kind = [a?.name ?? '?', b?.name ?? '?'].sort().join(' ↔ ')
        const k = this.#bytesByKind.get(kind) ?? { conns: 0, writes: 0, bytes: 0 }
        k.conns++
        k.writes += ev.writes
        k.bytes += ev.bytes
        this.#bytesByKind.set(kind, k)
        break
      }
      default: break
    }
  }

  /** The report as one HTML document. */
  html (title = 'picostack sim report'): string {
    const m = this.#metrics
    const end = this.#end
    const last = m.at(-1)
    const summary = [
      ['seed', this.#seed],
      ['virtual time', `${((end?.t ?? last?.t ?? 0) / 1000).toFixed(1)} s`],
      ['ended by', end !== null && end.type === 'sim' && end.event === 'end' ? end.reason : 'unfinished'],
      ['converged', end !== null && end.type === 'sim' && end.event === 'end' && end.converged ? 'yes' : 'NO'],
      ['peers', this.#peers.size],
      ['blocks created', last?.created ?? 0],
      ['bytes moved', fmtBytes(last?.bytesTotal ?? 0)],
      ['final convergence', `${((last?.convergence ?? 0) * 100).toFixed(1)} %`]
    ]
    const counts = [...this.#counts].sort((a, b) => b[1] - a[1])
    const kinds = [...this.#bytesByKind].sort((a, b) => b[1].bytes - a[1].bytes)
    const peers = [...this.#peers.values()]
    const extra = [...new Set(peers.flatMap(p => Object.keys(p.last)))].slice(0, 6)
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left}.bad{color:#b00}
svg{background:#fafafa;border:1px solid #ddd}
.legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;width:12px;height:3px;vertical-align:middle;margin-right:4px}
</style></head><body>
<h1>${esc(title)}</h1>
<table>${summary.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>
<h2>Convergence over virtual time</h2>
${chart(m, [{ label: 'convergence (heads and state)', color: '#1a7f37', value: e => e.convergence }, { label: 'heads', color: '#0969da', value: e => e.heads }], 1, v => `${Math.round(v * 100)}%`)}
<h2>Bandwidth over virtual time</h2>
${chart(m, [{ label: 'bytes per interval', color: '#8250df', value: e => e.bytes }], Math.max(1, ...m.map(e => e.bytes)), fmtBytes)}
<h2>Connections and live peers</h2>
${chart(m, [{ label: 'connections', color: '#bc4c00', value: e => e.connections }, { label: 'live peers', color: '#57606a', value: e => e.peers }], Math.max(1, ...m.map(e => Math.max(e.connections, e.peers))), v => String(Math.round(v)))}
<h2>Events per type</h2>
<table><tr><th>type</th><th>count</th></tr>${counts.map(([k, n]) => `<tr><td>${esc(k)}</td><td>${n}</td></tr>`).join('')}</table>
<h2>Messages and bytes per kind of link</h2>
<table><tr><th>link (launch names)</th><th>connections</th><th>messages (writes)</th><th>bytes</th></tr>${kinds.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${v.conns}</td><td>${v.writes}</td><td>${fmtBytes(v.bytes)}</td></tr>`).join('')}</table>
${this.#errors.length === 0 ? '' : `<h2 class="bad">Errors</h2><ul>${this.#errors.slice(0, 50).map(e => `<li>${esc(e)}</li>`).join('')}</ul>`}
<h2>Peers</h2>
<table><tr><th>peer</th><th>name</th><th>honest</th><th>state</th><th>starts</th><th>connections</th><th>bytes</th><th>dropped by others</th><th>drops</th><th>errors</th>${extra.map(k => `<th>${esc(k)}</th>`).join('')}</tr>
${peers.map(p => `<tr><td>${p.id}</td><td>${esc(p.name)}</td><td>${p.honest ? 'yes' : '<b class="bad">no</b>'}</td><td>${esc(p.state)}</td><td>${p.starts}</td><td>${p.connections}</td><td>${fmtBytes(p.bytes)}</td><td>${p.dropped}</td><td>${p.droppedBy}</td><td>${p.errors}</td>${extra.map(k => `<td>${esc(JSON.stringify(p.last[k]) ?? '')}</td>`).join('')}</tr>`).join('\n')}
</table>
</body></html>
`
  }
}

interface Series {
  label: string
  color: string
  value: (e: MetricsLogEvent) => number
}

function chart (m: MetricsLogEvent[], series: Series[], max: number, fmt: (v: number) => string): string {
  const W = 760
  const H = 220
  const L = 70
  const B = 30
  const t0 = 0
  const t1 = Math.max(1, m.at(-1)?.t ?? 1)
  const x = (t: number): number => L + ((t - t0) / (t1 - t0)) * (W - L - 10)
  const y = (v: number): number => H - B - (v / max) * (H - B - 10)
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4
    svg += `<line x1="${L}" x2="${W - 10}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/><text x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end">${esc(fmt(v))}</text>`
  }
  for (let i = 0; i <= 5; i++) {
    const t = t0 + ((t1 - t0) * i) / 5
    svg += `<text x="${x(t).toFixed(1)}" y="${H - 10}" font-size="11" text-anchor="middle">${(t / 1000).toFixed(0)} s</text>`
  }
  const step = Math.max(1, Math.ceil(m.length / 1500))
  for (const s of series) {
    const pts: string[] = []
    for (let i = 0; i < m.length; i += step) { const e = m[i] as MetricsLogEvent; pts.push(`${x(e.t).toFixed(1)},${y(s.value(e)).toFixed(1)}`) }
    svg += `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(' ')}"/>`
  }
  svg += '</svg>'
  const legend = `<div class="legend">${series.map(s => `<span><i class="sw" style="background:${s.color}"></i>${esc(s.label)}</span>`).join('')}</div>`
  return svg + legend
}
