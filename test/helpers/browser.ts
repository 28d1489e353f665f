// Headless-Chromium harness for browser tests of any component.
//
//   import { runInBrowser, browserAvailable } from '../helpers/browser.js'
//   test('works in a browser', { skip: !browserAvailable() && 'no chromium' }, async () => {
//     const out = await runInBrowser<MyResult>(new URL('./thing.entry.ts', import.meta.url), { n: 3 })
//   })
//
// The entry is a TypeScript module exporting `run(input)` (sync or async) that returns a
// JSON-serialisable value. It is bundled with esbuild for the browser (no Node built-ins),
// served with a blank page from 127.0.0.1 (a secure context, so WebCrypto is available),
// loaded in Debian's Chromium driven by playwright-core (no browser download), and the value
// `run` resolves to is returned. A throw in `run`, an uncaught page error or the timeout
// rejects with the browser-side stack. The browser and server are closed in every case.
import { existsSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { dirname } from 'node:path'
import { build } from 'esbuild'
import { chromium } from 'playwright-core'

/** Chromium binary: `$CHROMIUM_PATH`, else Debian's `/usr/bin/chromium` (.ci/run installs it). */
export const CHROMIUM_PATH: string = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Flags for a quiet, offline, sandbox-free headless run (CI containers run as root). */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'
]

/** True when the Chromium binary exists (use it to skip browser tests where it does not). */
export function browserAvailable (): boolean {
  return existsSync(CHROMIUM_PATH)
}

/** Options of {@link runInBrowser}. */
export interface BrowserOptions {
  /** Milliseconds before the run is abandoned (default 60 000). */
  timeoutMs?: number
  /** Called with each console line of the page (default: ignored). */
  onConsole?: (line: string) => void
  /**
   * Bundle browser stand-ins of node:test, node:assert and node:crypto (test/helpers/browser-shims)
   * so that a suite written for Node's runner can run in the page (default false).
   */
  shims?: boolean
}

const shimDir = fileURLToPath(new URL('./browser-shims/', import.meta.url))
/** esbuild aliases of the Node built-ins that shared suites import. */
const SHIMS: Record<string, string> = {
  'node:test': shimDir + 'node-test.ts',
  'node:assert/strict': shimDir + 'node-assert.ts',
  'node:crypto': shimDir + 'node-crypto.ts'
}

/**
 * Bundles `entry` for the browser (esbuild, ESM) as a standalone script calling
 * `run(input)` and storing the outcome.
 *
 * @returns the JavaScript of the bundle
 */
export async function bundleEntry (entry: string | URL, input: unknown, shims = false): Promise<string> {
  const file = typeof entry === 'string' ? entry : fileURLToPath(entry)
  const stub = `import { run } from ${JSON.stringify(file)}
globalThis.__picostackResult = (async () => {
  try { return { ok: true, value: await run(${JSON.stringify(input ?? null)}) } }
  catch (e) { return { ok: false, error: String((e && e.stack) || e) + (e && e.code ? ' [code ' + e.code + ']' : '') } }
})()
`
  const out = await build({
    stdin: { contents: stub, resolveDir: dirname(file), sourcefile: 'browser-entry.ts', loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    ...(shims ? { alias: SHIMS } : {}),
    write: false,
    logLevel: 'silent'
  })
  return (out.outputFiles[0] as { text: string }).text
}

/**
 * Runs the exported `run(input)` of the TypeScript module `entry` in headless Chromium.
 *
 * @param entry - path or file URL of the entry module
 * @param input - JSON-serialisable argument for `run`
 * @param options - timeout and console hook
 * @returns what `run` returned (after a JSON round trip)
 */
export async function runInBrowser<T = unknown> (entry: string | URL, input?: unknown, options: BrowserOptions = {}): Promise<T> {
  if (!browserAvailable()) throw new Error(`Chromium not found at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`)
  const timeout = options.timeoutMs ?? 60_000
  const js = await bundleEntry(entry, input, options.shims === true)
  const html = '<!doctype html><meta charset="utf-8"><title>picostack test</title><script type="module" src="/entry.js"></script>'
  const server = createServer((req, res) => {
    if (req.url === '/entry.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' })
      res.end(js)
    } else if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end(html)
    } else {
      res.writeHead(404)
      res.end()
    }
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_FLAGS], timeout })
  try {
    const page = await browser.newPage()
    const pageErrors: string[] = []
    page.on('pageerror', e => pageErrors.push(e.stack ?? e.message))
    if (options.onConsole !== undefined) {
      const log = options.onConsole
      page.on('console', m => log(m.text()))
    }
    await page.goto(`http://127.0.0.1:${port}/`, { timeout })
    try {
      await page.waitForFunction(() => (globalThis as { __picostackResult?: unknown }).__picostackResult !== undefined, undefined, { timeout })
    } catch (e) {
      throw new Error(`browser run did not start: ${pageErrors.join('\n') || String(e)}`)
    }
    const r = await page.evaluate(() => (globalThis as unknown as { __picostackResult: Promise<{ ok: boolean, value?: unknown, error?: string }> }).__picostackResult)
    if (!r.ok) throw new Error(`browser run failed: ${r.error ?? 'unknown error'}`)
    return r.value as T
  } finally {
    await browser.close()
    await new Promise<void>(resolve => server.close(() => resolve()))
  }
}
