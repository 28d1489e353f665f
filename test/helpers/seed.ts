// One seed per test run, for every randomised test: fast-check's global seed and the seeded
// generators below. scripts/run-tests.js picks it (or takes FC_SEED from the environment),
// prints it and passes it to every test process, which loads this module first (--import).
// Replay a run: FC_SEED=<seed> node scripts/run-tests.js <file>.
import fc from 'fast-check'

function pick (): number {
  const env = process.env.FC_SEED
  if (env !== undefined && env !== '') {
    const n = Number(env)
    if (!Number.isSafeInteger(n)) throw new TypeError(`FC_SEED must be an integer, got ${env}`)
    return n | 0
  }
  return (Math.random() * 2 ** 32) | 0
}

/** The seed of this run (FC_SEED, or a random one). */
export const testSeed: number = pick()

fc.configureGlobal({ seed: testSeed })

/**
 * A deterministic generator of numbers in [0, 1) (mulberry32), seeded from `testSeed`
 * and a per-use salt so that two tests of one run draw different sequences.
 */
export function seededRandom (salt = 0): () => number {
  let a = (testSeed ^ Math.imul(salt + 1, 0x9e3779b9)) >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/** `n` deterministic bytes from a seeded generator. */
export function seededBytes (random: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.floor(random() * 256)
  return out
}
