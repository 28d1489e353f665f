// A stand-in for node:test in browser bundles: describe/it only collect the tests, which
// `runCollected()` then runs one after another (for suites shared with Node, e.g. the wire
// conformance suite). Bundled in place of node:test by test/helpers/browser.ts (`shims`).

interface Collected { title: string, skip: string | false, fn: () => unknown }

const collected: Collected[] = []
const prefix: string[] = []

/** Groups tests under a title (runs the body at once, as node:test does). */
export function describe (title: string, body: () => void): void {
  prefix.push(title)
  try { body() } finally { prefix.pop() }
}

/** Collects one test: `it(title, fn)` or `it(title, { skip }, fn)`. */
export function it (title: string, a: unknown, b?: unknown): void {
  const options = (typeof a === 'function' ? {} : a) as { skip?: string | boolean }
  const fn = (typeof a === 'function' ? a : b) as () => unknown
  const skip = options.skip === undefined || options.skip === false ? false : String(options.skip)
  collected.push({ title: [...prefix, title].join(' > '), skip, fn })
}

export const test = it

/** One test's outcome. */
export interface Outcome { title: string, ok: boolean, skipped: boolean, error?: string }

/** Runs every collected test in order; a test's failure is recorded, never thrown. */
export async function runCollected (): Promise<Outcome[]> {
  const out: Outcome[] = []
  for (const t of collected.splice(0)) {
    if (t.skip !== false) { out.push({ title: t.title, ok: true, skipped: true }); continue }
    try {
      await t.fn()
      out.push({ title: t.title, ok: true, skipped: false })
    } catch (e) {
      out.push({ title: t.title, ok: false, skipped: false, error: String((e as Error)?.stack ?? e) })
    }
  }
  return out
}
