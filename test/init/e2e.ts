// End-to-end check of a `picostack init` flavour: scaffold with --local (this checkout's bin,
// never npx), npm install, the scaffold's own `npm test` and `npm run build`, then its node
// serving the built page, driven in headless Chromium by two browser contexts (two users with
// separate storage): a task added in one appears in the other through the node, only its
// author may move it, and it survives a reload (IndexedDB).
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from '../helpers/browser.js'
import { assertBuilt } from '../cli/_helpers.js'

const BIN = fileURLToPath(new URL('../../bin/picostack.js', import.meta.url))

/** The environment of the children: without the `npm_*` settings of an enclosing `npm test`. */
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')))

/** Output of a finished command. */
interface Ran { code: number | null, out: string }

/** Runs a command to its end, or kills it after `timeoutMs` (the result then says so). */
export function run (cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<Ran> {
  return new Promise(resolve => {
    const child = spawn(cmd, args, { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    const keep = (d: Uint8Array): void => { out = (out + String(d)).slice(-20_000) }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    const timer = setTimeout(() => { out += `\n[killed after ${timeoutMs} ms]`; child.kill('SIGKILL') }, timeoutMs)
    child.on('error', err => { out += String(err) })
    child.on('close', code => { clearTimeout(timer); resolve({ code, out }) })
  })
}

async function must (what: string, ran: Promise<Ran>): Promise<void> {
  const r = await ran
  assert.equal(r.code, 0, `${what} failed (exit ${r.code}):\n${r.out}`)
}

/** Starts the scaffold's node on a free port; resolves with it and the page's address. */
function startNode (app: string, data: string, timeoutMs: number, port = '0'): Promise<{ child: ChildProcess, url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/start.ts', '--port', port, '--data', data], { cwd: app, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`the node printed no address in ${timeoutMs} ms:\n${out}`)) }, timeoutMs)
    const read = (d: Uint8Array): void => {
      out += String(d)
      const m = /^open (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(out)
      if (m !== null) { clearTimeout(timer); resolve({ child, url: m[1] as string }) }
    }
    child.stdout.on('data', read)
    child.stderr.on('data', read)
    child.on('exit', code => { clearTimeout(timer); reject(new Error(`the node exited (${code}):\n${out}`)) })
  })
}

async function stopNode (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

/** Opens the app in a fresh browser context and waits until its kernel is connected to the node. */
async function openApp (browser: Browser, url: string, errors: string[]): Promise<Page> {
  const context = await browser.newContext()
  const page = await context.newPage()
  page.on('pageerror', e => errors.push(e.stack ?? e.message))
  await page.goto(url)
  await page.getByRole('status').filter({ hasText: '1 peer connected' }).waitFor({ timeout: 30_000 })
  return page
}

/** The whole check for one flavour (`--react` or not). */
export async function scaffoldAndDrive (flavour: 'svelte' | 'react'): Promise<void> {
  assertBuilt() // the bin runs dist/
  const tmp = mkdtempSync(join(tmpdir(), `init-e2e-${flavour}-`))
  const app = join(tmp, 'app')
  let node: ChildProcess | undefined
  let browser: Browser | undefined
  try {
    await must('picostack init', run(process.execPath, [BIN, 'init', app, '--local', '--no-install', ...(flavour === 'react' ? ['--react'] : [])], tmp, 30_000))
    await must('npm install', run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], app, 180_000))
    await must('the scaffold\'s npm test', run('npm', ['test'], app, 150_000))
    await must('the scaffold\'s npm run build', run('npm', ['run', 'build'], app, 60_000))
    const started = await startNode(app, join(tmp, 'data'), 30_000)
    node = started.child
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_FLAGS], timeout: 30_000 })
    const errors: string[] = []
    const alice = await openApp(browser, started.url, errors)
    const bob = await openApp(browser, started.url, errors)

    const input = alice.getByLabel('New task')
    await input.fill('water the plants')
    await input.press('Enter')
    await bob.getByRole('listitem').filter({ hasText: 'water the plants' }).waitFor({ timeout: 30_000 })
    // the rules run in Bob's page too: only the author may move the task
    assert.equal(await bob.getByRole('combobox', { name: 'water the plants' }).isDisabled(), true)
    await alice.getByRole('combobox', { name: 'water the plants' }).selectOption('done')
    await bob.waitForFunction(() => document.querySelector('li.done')?.textContent?.includes('water the plants') === true, undefined, { timeout: 30_000 })
    // the page's kernel keeps its blocks in IndexedDB: Alice gone and a new node with an empty
    // database on the same address (same origin), a reload of Bob's page still shows the task
    await alice.context().close()
    await stopNode(node)
    node = (await startNode(app, join(tmp, 'empty'), 30_000, new URL(started.url).port)).child
    await bob.reload()
    await bob.getByRole('status').filter({ hasText: '1 peer connected' }).waitFor({ timeout: 30_000 })
    await bob.waitForFunction(() => document.querySelector('li.done')?.textContent?.includes('water the plants') === true, undefined, { timeout: 30_000 })
    assert.deepEqual(errors, [], 'no uncaught error in the pages')
  } finally {
    await browser?.close().catch(() => {})
    if (node !== undefined) await stopNode(node)
    rmSync(tmp, { recursive: true, force: true })
  }
}
