// Simulator benchmark (issue 10): full kernels over Modem56 in the simulator, 20 authors x 50
// blocks, peers joining at random times, until every peer holds every block. Prints wall time
// per virtual minute and memory per peer, for each workload and size in its own process.
// Run: node --conditions=source --import tsx bench/sim.ts [peers ...]   (default: 100 300 1000)
// WORKERS=1,2 (the default) runs each size in one thread, then in two worker threads (runParallel).
// Two workloads (WORKLOAD=live or history runs one):
// - live: every peer, authors included, joins in the first 30 s; each author writes a block
//   every 0.5-1.5 s from its start, so blocks spread one by one by live gossip (have, fetch);
// - history: the authors start first and write their blocks 10-30 ms apart; the others join over
//   the next 30 s and receive them in batches by delta sync.
// Each run has its own child with 256 MB semi-spaces (messages in flight die young instead of
// being promoted: 20-25 % less CPU at 300 peers than 64 MB, and 1 GB was slower; 64 MB for two
// workers, which hold two young generations) and a 16 GB heap
// limit; MAXCONN=n sets the peers' maxConnections (8); GOSSIP_DELAY=ms the kernels' gossipDelay
// (default 50: fewer, larger announcements against latency per hop).
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Simulator, runParallel } from '../src/sim/index.js'
import type { RunResult } from '../src/sim/index.js'
import { AUTHORS, BLOCKS, bench } from './sim-scenario.js'
import type { Workload } from './sim-scenario.js'

const WORKLOADS: readonly Workload[] = ['live', 'history']

interface Outcome {
  workload: Workload
  peers: number
  workers: number
  converged: boolean
  virtualS: number
  wallS: number
  wallPerVirtualMinuteS: number
  cpuS: number
  events: number
  /** The main thread's heap (null in a parallel run: the peers' heaps are the workers'). */
  heapMBPerPeer: number | null
  /** Peak resident memory of the process, and its growth over the start per peer. */
  rssMB: number
  rssMBPerPeer: number
  bytesMoved: number
}

async function one (workload: Workload, peers: number, workers: number): Promise<Outcome> {
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  const base = process.memoryUsage()
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  let r: RunResult
  let bytesMoved = 0
  if (workers > 1) {
    process.env.SIM_WORKLOAD = workload
    process.env.SIM_PEERS = String(peers)
    r = await runParallel(fileURLToPath(new URL('./sim-scenario.ts', import.meta.url)), {
      workers,
      seed: 1,
      onevent: e => { if (e.type === 'metrics') bytesMoved = e.bytesTotal }
    })
  } else {
    const sim = new Simulator({ seed: 1 })
    r = await bench(sim, workload, peers)
    bytesMoved = sim.metrics?.bytesTotal ?? 0
  }
  const wallS = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  gc?.()
  const mem = process.memoryUsage()
  // the peak: a parallel run's workers (and their heaps) are gone once it returns
  const peak = process.resourceUsage().maxRSS * 1024
  // external includes arrayBuffers (an earlier version of this bench added both)
  const heap = (mem.heapUsed + mem.external - base.heapUsed - base.external) / (1 << 20)
  return {
    workload,
    peers,
    workers,
    converged: r.converged,
    virtualS: r.time / 1000,
    wallS: round(wallS),
    wallPerVirtualMinuteS: round(wallS / (r.time / 60_000)),
    cpuS: round((cpu.user + cpu.system) / 1e6),
    events: r.events,
    heapMBPerPeer: workers > 1 ? null : round(heap / peers, 3),
    rssMB: round(peak / (1 << 20)),
    rssMBPerPeer: round((peak - base.rss) / (1 << 20) / peers, 3),
    bytesMoved
  }
}

function round (x: number, d = 2): number { const f = 10 ** d; return Math.round(x * f) / f }

const args = process.argv.slice(2)
const WORKERS = (process.env.WORKERS ?? '1,2').split(',').map(Number)
if (WORKERS.some(n => !Number.isInteger(n) || n < 1)) throw new Error(`WORKERS expected worker counts like 1,2, got ${process.env.WORKERS ?? ''}`)
if (args[0] === '--one') {
  console.log(JSON.stringify(await one(args[1] as Workload, Number(args[2]), Number(args[3]))))
} else {
  const sizes = args.length > 0 ? args.map(Number) : [100, 300, 1000]
  const only = process.env.WORKLOAD
  if (only !== undefined && !WORKLOADS.includes(only as Workload)) throw new Error(`WORKLOAD expected ${WORKLOADS.join(' or ')}, got ${only}`)
  console.log(`simulator: ${AUTHORS} authors x ${BLOCKS} blocks, random joins in 30 s, full kernels over Modem56`)
  for (const workload of only === undefined ? WORKLOADS : [only as Workload]) {
    for (const workers of WORKERS) {
      console.log(`${workload === 'live' ? 'live gossip (blocks written while peers join)' : 'history (blocks written first, peers join later)'}, ${workers === 1 ? 'one thread' : `${workers} worker threads`}:`)
      for (const n of sizes) run(workload, n, workers)
    }
  }
}

function run (workload: Workload, n: number, workers: number): void {
  // two workers hold two young generations: 64 MB semi-spaces there (1,000 live peers: 4 % more
  // wall time than 256 MB, 2.1 against 3.1 MB of peak RSS per peer)
  const semi = workers > 1 ? 64 : 256
  const child = spawnSync(process.execPath, ['--expose-gc', `--max-semi-space-size=${semi}`, '--max-old-space-size=16384', '--conditions=source', '--import', 'tsx', fileURLToPath(import.meta.url), '--one', workload, String(n), String(workers)], { encoding: 'utf8', maxBuffer: 1 << 26 })
  const line = child.stdout.trim().split('\n').at(-1) ?? ''
  if (child.status !== 0 || !line.startsWith('{')) { console.log(`${n} peers: failed (${child.status})\n${child.stderr.slice(-2000)}`); return }
  const o = JSON.parse(line) as Outcome
  console.log(`${String(o.peers).padStart(5)} peers: ${o.converged ? 'converged' : 'NOT converged'} at ${o.virtualS} s virtual, ${o.wallS} s wall (${o.wallPerVirtualMinuteS} s wall per virtual minute, ${o.cpuS} s CPU), ${o.events} events, ${o.heapMBPerPeer === null ? '' : `heap ${o.heapMBPerPeer} MB/peer, `}peak RSS ${o.rssMB} MB (${o.rssMBPerPeer} MB/peer), ${(o.bytesMoved / (1 << 20)).toFixed(1)} MiB moved`)
}
