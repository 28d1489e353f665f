// The repo conformance suite in headless Chromium against browser-level (IndexedDB).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { browserAvailable, runInBrowser } from '../helpers/browser.js'
import type { Report } from './browser.entry.js'
import { repoConformance } from './conformance.js'

// The names the suite registers, collected in Node without running anything.
const expected: string[] = []
repoConformance('browser-level', () => { throw new Error('not run') }, name => { expected.push(name) })

test('repo conformance in Chromium on browser-level (IndexedDB)', { skip: !browserAvailable() && 'chromium not installed' }, async () => {
  const out = await runInBrowser<Report>(new URL('./browser.entry.ts', import.meta.url), { prefix: 'picostack-repo' })
  assert.equal(out.hasBuffer, 'undefined')
  assert.deepEqual(out.outcomes.map(o => o.name), expected)
  const failed = out.outcomes.filter(o => !o.ok)
  assert.deepEqual(failed.map(o => o.name), [], failed.map(o => `${o.name}\n${o.error ?? ''}`).join('\n\n'))
})
