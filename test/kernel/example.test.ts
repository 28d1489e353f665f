// The README's clock kernel (examples/clock.ts) runs and both kernels log the new state.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

test('examples/clock.ts: alice and bob both log the new clock state', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/clock.ts'], { timeout: 60_000 })
  const lines = stdout.trim().split('\n')
  assert.ok(lines.includes('Alice: 0') && lines.includes('Bob: 0'), stdout)
  const alice = lines.filter(l => l.startsWith('Alice: ')).map(l => Number(l.slice(7)))
  const bob = lines.filter(l => l.startsWith('Bob: ')).map(l => Number(l.slice(5)))
  const tick = alice[alice.length - 1] as number
  assert.ok(tick > 0)
  assert.equal(bob[bob.length - 1], tick)
})
