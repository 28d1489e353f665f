#!/usr/bin/env node
// Runs every test/**/*.test.ts on Node's built-in test runner, with tsx as the
// TypeScript loader and the "source" export condition (so #imports resolve to src/).
// Usage: node scripts/run-tests.js [path-filter ...]
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
const args = ['--conditions=source', '--import', 'tsx', '--test', '--test-reporter=spec', ...files]
const child = spawn(process.execPath, args, { stdio: 'inherit' })
child.on('exit', (code, signal) => process.exit(signal ? 1 : code ?? 1))
