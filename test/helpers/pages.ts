// Several pages in headless Chromium, for tests that need more than one tab or user:
//
//   const site = await servePage(new URL('./thing.entry.ts', import.meta.url))
//   const browser = await launchChromium(['--allow-loopback-in-peer-connection'])
//   const page = await (await browser.newContext()).newPage()
//   const out = await startPage<Out>(page, site.url, input)      // run(input) of the entry
//   await within(page.evaluate(() => globalThis.__thing.doSomething()), 20_000, 'something')
//
// The entry is bundled by esbuild as in browser.ts (no Node built-ins) and served from
// 127.0.0.1 (a secure context); the input goes in the page's URL hash, so every page of one
// server can start with its own. Callers close the browser and the server (in `finally`).
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { CHROMIUM_FLAGS, CHROMIUM_PATH, bundleEntry } from './browser.js'

/** A served test page. */
export interface PageSite {
  /** The page's URL (http://127.0.0.1:PORT/). */
  readonly url: string
  /** Stops serving. */
  close (): Promise<void>
}

/**
 * Serves the bundle of `entry` with a blank page; the page calls `run(input)` with the JSON of
 * its URL hash and stores the outcome in `globalThis.__picostackResult`. `shims`: bundle the
 * stand-ins of node:test, node:assert and node:crypto (see browser.ts).
 */
export async function servePage (entry: URL, shims = false): Promise<PageSite> {
  const js = await bundleEntry(entry, '__HASH_INPUT__', shims)
  const script = js.replace('"__HASH_INPUT__"', 'JSON.parse(decodeURIComponent(location.hash.slice(1)) || "null")')
  const html = '<!doctype html><meta charset="utf-8"><title>picostack test</title><script type="module" src="/entry.js"></script>'
  const server = createServer((req, res) => {
    if (req.url === '/entry.js') res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' }).end(script)
    else if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html)
    else res.writeHead(404).end()
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) })
  }
}

/** Launches Debian's Chromium headless with the harness's flags and `extra`. */
export function launchChromium (extra: string[] = [], timeout = 60_000): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_FLAGS, ...extra], timeout })
}

/** Rejects with `what` when `promise` has not settled within `ms` (an upper bound, never a wait). */
export function within<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const limit = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms) })
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer))
}

/**
 * Opens `url` with `input` in `page` and returns what the entry's `run(input)` resolved to;
 * rejects with the page's error when it threw.
 */
export async function startPage<T> (page: Page, url: string, input: unknown, timeout = 30_000): Promise<T> {
  const errors: string[] = []
  page.on('pageerror', e => errors.push(e.stack ?? e.message))
  await page.goto(url + '#' + encodeURIComponent(JSON.stringify(input)), { timeout })
  try {
    await page.waitForFunction(() => (globalThis as { __picostackResult?: unknown }).__picostackResult !== undefined, undefined, { timeout })
  } catch (e) {
    throw new Error(`page did not start: ${errors.join('\n') || String(e)}`)
  }
  const r = await within(page.evaluate(() => (globalThis as unknown as { __picostackResult: Promise<{ ok: boolean, value?: unknown, error?: string }> }).__picostackResult), timeout, 'page run')
  if (!r.ok) throw new Error(`page run failed: ${r.error ?? 'unknown error'}`)
  return r.value as T
}
