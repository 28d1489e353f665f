// Runs in headless Chromium (test/repo/browser.test.ts): the repo conformance suite, unchanged,
// against browser-level (IndexedDB), with a tiny in-page registrar that runs the tests one by
// one and reports each outcome.
import { BrowserLevel } from 'browser-level'
import { repoConformance } from './conformance.js'

/** One test's outcome; `error` carries the message and stack of a failure. */
export interface Outcome { name: string, ok: boolean, error?: string }
/** What `run` returns. */
export interface Report { hasBuffer: string, outcomes: Outcome[] }

export async function run (input: { prefix: string }): Promise<Report> {
  const tests: Array<{ name: string, fn: () => Promise<void> }> = []
  let n = 0
  repoConformance('browser-level', () => new BrowserLevel<Uint8Array, Uint8Array>(`${input.prefix}-${n++}`, { keyEncoding: 'view', valueEncoding: 'view' }), (name, fn) => { tests.push({ name, fn }) })
  const outcomes: Outcome[] = []
  for (const t of tests) {
    try {
      await t.fn()
      outcomes.push({ name: t.name, ok: true })
    } catch (e) {
      const err = e as { stack?: string, code?: string }
      outcomes.push({ name: t.name, ok: false, error: `${String(err.stack ?? e)}${err.code !== undefined ? ` [code ${err.code}]` : ''}` })
    }
  }
  return { hasBuffer: typeof (globalThis as { Buffer?: unknown }).Buffer, outcomes }
}
