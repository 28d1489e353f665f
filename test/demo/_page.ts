// Helpers of the demo page tests: a `picostack node` child (this checkout's bin, offline, a
// temporary data folder, a fixed page port so a restart keeps the pages' origin) and pages
// of the demo in Debian's headless Chromium.
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import type { TestContext } from 'node:test'
import { chromium } from 'playwright-core'
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core'
import { assertBuilt, nodes } from '../cli/_helpers.js'
import type { CliProcess } from '../cli/_helpers.js'
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from '../helpers/browser.js'

/** Upper bound of any single wait in these tests (ms): a failure, never a pacing. */
export const WAIT = 30_000

/** A free TCP port on 127.0.0.1 (listen on 0, close). */
export async function freePort (): Promise<number> {
  const s = createServer()
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as AddressInfo
  await new Promise<void>(resolve => s.close(() => resolve()))
  return port
}

/** A node of the demo that can be stopped and started again on the same data and port. */
export interface DemoNode {
  url: string
  proc: CliProcess
  stop: () => Promise<void>
  start: () => Promise<void>
}

/** Starts `picostack node --offline` from bin/ (dist/: `npm run build` first) with the demo page. */
export async function demoNode (t: TestContext, extra: string[] = []): Promise<DemoNode> {
  assertBuilt()
  const n = nodes(t, 'bin')
  const data = n.dir()
  const port = await freePort()
  const node: DemoNode = {
    url: '',
    proc: undefined as unknown as CliProcess,
    async start () {
      node.proc = n.start(['--offline', '--data', data, '--port', '0', '--ws-port=-1', '--http-port', String(port), ...extra])
      const [, url] = await node.proc.line(/^open (http:\/\/127\.0\.0\.1:\d+\/)$/)
      node.url = `${url as string}?ice=loopback` // WebRTC, if the browser tries it, stays on loopback
    },
    async stop () {
      const code = await node.proc.stop()
      if (code !== 0) throw new Error(`node exited with ${String(code)}: ${node.proc.stderr}`)
    }
  }
  await node.start()
  return node
}

/** Launches Chromium; closed after the test. */
export async function launch (t: TestContext): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_FLAGS], timeout: WAIT })
  t.after(() => browser.close())
  return browser
}

/** A page of the demo in a new context (a separate user: its own storage), with page errors collected. */
export async function openUser (browser: Browser, url: string, options: BrowserContextOptions = {}): Promise<{ context: BrowserContext, page: Page, errors: string[] }> {
  const context = await browser.newContext(options)
  const { page, errors } = await openTab(context, url)
  return { context, page, errors }
}

/** Another tab of `context` on the demo, booted. */
export async function openTab (context: BrowserContext, url: string): Promise<{ page: Page, errors: string[] }> {
  const page = await context.newPage()
  page.setDefaultTimeout(WAIT)
  const errors: string[] = []
  page.on('pageerror', e => errors.push(e.stack ?? e.message))
  await page.goto(url)
  await page.getByLabel('New todo').waitFor()
  return { page, errors }
}

/** Waits until the status line says `n` peers are connected. */
export async function peers (page: Page, n: number): Promise<void> {
  await page.locator(`[role=status][data-peers="${n}"]`).waitFor()
}

/** Types a todo and presses Enter. */
export async function addTodo (page: Page, title: string): Promise<void> {
  const input = page.getByLabel('New todo')
  await input.fill(title)
  await input.press('Enter')
  await page.getByRole('checkbox', { name: title, exact: true }).waitFor()
}

/** This tab's user key, as the devtools panel shows it. */
export async function userKey (page: Page): Promise<string> {
  return await page.evaluate(() => (globalThis as unknown as { __demo: { kernel: { pk: string } } }).__demo.kernel.pk)
}

/** A node, Chromium, and two users (separate contexts) connected to the node. */
export async function twoUsers (t: TestContext): Promise<{ node: DemoNode, browser: Browser, alice: User, bob: User }> {
  const node = await demoNode(t)
  const browser = await launch(t)
  const alice = await openUser(browser, node.url)
  const bob = await openUser(browser, node.url)
  await peers(alice.page, 1)
  await peers(bob.page, 1)
  return { node, browser, alice, bob }
}

/** One user: a browser context and its first tab. */
export type User = Awaited<ReturnType<typeof openUser>>
