#!/usr/bin/env node
// Runs every test/**/*.test.ts on Node's built-in test runner, with tsx as the
// TypeScript loader and the "source" export condition (so #imports resolve to src/).
// Usage: node scripts/run-tests.js [path-filter ...]
//
// Every test stops by itself: a test still running after TEST_TIMEOUT_MS (300 s unless the
// environment says otherwise) fails instead of hanging the run. Node's runner applies the limit
// to each test and to each file as a whole (its process), so it is set for the longest file
// (test/cli/node.test.ts: 40 s alone, over 120 s on a loaded machine).
// Randomised tests are replayable: one seed per run (FC_SEED from the environment, or a
// random one) is printed, handed to every test process and used by test/helpers/seed.ts
// (fast-check's global seed and the seeded generators). Replay: FC_SEED=<seed> node scripts/run-tests.js <filter>.
import { spawn } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

function find (dir) {
  const out = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...find(p))
    else if (name.endsWith('.test.ts')) out.push(p)
  }
  return out
}

const filters = process.argv.slice(2)
const files = find('test').filter(f => filters.length === 0 || filters.some(x => f.includes(x))).sort()
if (files.length === 0) {
  console.error('no test files matched')
  process.exit(1)
}
const seed = process.env.FC_SEED !== undefined && process.env.FC_SEED !== ''
  ? process.env.FC_SEED
  : String((Math.random() * 2 ** 32) | 0)
const timeout = process.env.TEST_TIMEOUT_MS ?? '300000'
const replay = `FC_SEED=${seed} node scripts/run-tests.js ${filters.join(' ')}`.trim()
console.log(`# test seed ${seed} (replay: ${replay})`)
const args = [
  '--conditions=source', '--import', 'tsx', '--import', './test/helpers/seed.ts',
  '--test', `--test-timeout=${timeout}`, '--test-reporter=spec', ...files
]
const child = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, FC_SEED: seed } })
child.on('exit', (code, signal) => {
  if (code !== 0) console.log(`# test seed ${seed} (replay: ${replay})`)
  process.exit(signal ? 1 : code ?? 1)
})
