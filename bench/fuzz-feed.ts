// The big parser fuzz run: >= 100,000 fast-check cases of random and mutated feeds (flipped
// bits, truncations, bogus varints, forged headers, zero bytes, reordered blocks, garbage).
// Every case must end in a verified feed or a typed FeedError (test/feed/_fuzz.ts).
// Usage: node --conditions=source --import tsx bench/fuzz-feed.ts [cases=100000] [seed]
import fc from 'fast-check'
import { bases, checkParse, feedBytes } from '../test/feed/_fuzz.js'

const runs = Number(process.argv[2] ?? 100_000)
const seed = process.argv[3] !== undefined ? Number(process.argv[3]) : Date.now() % 2 ** 31
const all = bases()
const seen = new Map<string, number>()
let maxMs = 0
const t0 = performance.now()
fc.assert(fc.property(feedBytes(all), bytes => {
  const t = performance.now()
  // one case in 50 also runs the pure-JS backend and compares verdicts
  const r = checkParse(bytes, Math.random() < 0.02)
  maxMs = Math.max(maxMs, performance.now() - t)
  seen.set(r, (seen.get(r) ?? 0) + 1)
}), { numRuns: runs, seed })
const s = (performance.now() - t0) / 1000
console.log(`fuzz-feed: ${runs} cases passed in ${s.toFixed(1)} s (seed ${seed}, slowest case ${maxMs.toFixed(1)} ms)`)
for (const [k, v] of [...seen].sort((a, b) => b[1] - a[1])) console.log(`  ${k.padEnd(28)} ${v}`)
