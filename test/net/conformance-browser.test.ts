// The wire conformance suite in headless Chromium (the page's own event loop and engine),
// over the wires that live entirely in the page.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { browserAvailable, runInBrowser } from '../helpers/browser.js'
import type { Outcome } from '../helpers/browser-shims/node-test.js'

test('wire conformance in Chromium: in-memory, spliced and Hub wires', { skip: !browserAvailable() && 'chromium not installed' }, async () => {
  const outcomes = await runInBrowser<Outcome[]>(new URL('./conformance.browser.entry.ts', import.meta.url), null, { shims: true, timeoutMs: 100_000 })
  assert.ok(outcomes.length >= 3 * 13, `${outcomes.length} checks ran`)
  const failed = outcomes.filter(o => !o.ok)
  assert.deepEqual(failed, [], failed.map(f => `${f.title}\n${f.error ?? ''}`).join('\n\n'))
  assert.equal(outcomes.filter(o => o.skipped).length, 1)
})
