// The kernel in headless Chromium: bundled for the browser (browser-level as the embedded
// default, no LevelDB addon, no Buffer), two kernels sync over an in-memory wire, and a
// kernel rebooted on the same IndexedDB database keeps its identity and state.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { browserAvailable, runInBrowser } from '../helpers/browser.js'
import type { Output } from './browser.entry.js'

test('kernel in Chromium: sync, then reboot on IndexedDB', { skip: !browserAvailable() && 'chromium not installed' }, async () => {
  const out = await runInBrowser<Output>(new URL('./browser.entry.ts', import.meta.url), null, { timeoutMs: 25_000 })
  assert.equal(out.hasBuffer, 'undefined')
  assert.equal(out.bobSaw, 1234)
  assert.match(out.alicePk, /^[0-9a-f]{64}$/)
  assert.equal(out.rebootPk, out.alicePk)
  assert.equal(out.rebootClock, 1234)
})
