// `picostack sim`: flags, scenario loading, exit codes, the log written up to a failure, and the
// HTML report opened in headless Chromium.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, existsSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { main } from '../../src/cli/main.js'
import type { Io } from '../../src/cli/io.js'
import { browserAvailable, CHROMIUM_FLAGS, CHROMIUM_PATH } from '../helpers/browser.js'

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

function memIo (): Io & { out: string, err: string } {
  const io = {
    out: '',
    err: '',
    async readStdin () { return new Uint8Array() },
    stdout (d: Uint8Array | string) { io.out += typeof d === 'string' ? d : new TextDecoder().decode(d) },
    stderr (t: string) { io.err += t },
    env: {}
  }
  return io
}

function tmp (): { dir: string, done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'picostack-sim-'))
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) }
}

const lines = (file: string): Array<Record<string, unknown>> => readFileSync(file, 'utf8').trim().split('\n').map(l => JSON.parse(l) as Record<string, unknown>)

test('sim: an unknown flag is named, exit 2 (a usage mistake)', async () => {
  const io = memIo()
  assert.equal(await main(['sim', fixture('tiny.ts'), '--sed', '3'], io), 2)
  assert.match(io.err, /UnknownFlag: unknown flag --sed/)
  const io2 = memIo()
  assert.equal(await main(['sim', fixture('tiny.ts'), '--until', 'soon'], io2), 2)
  assert.match(io2.err, /--until expected a duration/)
  const io3 = memIo()
  assert.equal(await main(['sim'], io3), 2)
  assert.match(io3.err, /missing scenario FILE/)
  const io4 = memIo()
  assert.equal(await main(['sim', fixture('tiny.ts'), '--speed', '0'], io4), 2)
  assert.match(io4.err, /--speed expected a positive number/)
})

test('sim: an unreadable file or a module without a default function: a clear error, exit 1', async () => {
  const io = memIo()
  assert.equal(await main(['sim', 'no/such/scenario.ts'], io), 1)
  assert.match(io.err, /FileNotFound: cannot read scenario no\/such\/scenario\.ts/)
  const io2 = memIo()
  assert.equal(await main(['sim', fixture('notafunction.mjs')], io2), 1)
  assert.match(io2.err, /BadScenario: .*must default-export a function/)
})

test('sim: a TypeScript scenario runs, converges, writes the ndjson log and a report that opens in Chromium', async t => {
  const { dir, done } = tmp()
  t.after(done)
  const out = join(dir, 'run.ndjson')
  const report = join(dir, 'report.html')
  const io = memIo()
  const code = await main(['sim', fixture('tiny.ts'), '--seed', '9', '--out', out, '--report', report], io)
  assert.equal(code, 0, io.err)
  assert.match(io.out, /converged at [\d.]+ s of virtual time/)
  assert.match(io.err, /convergence 100\.0%/) // the live view's last line (plain: stderr is no TTY)
  const events = lines(out)
  assert.deepEqual(events[0]?.type, 'peer')
  assert.ok(events.some(e => e.type === 'sim' && e.event === 'start' && e.seed === 9))
  assert.ok(events.some(e => e.type === 'custom' && e.name === 'ready'))
  assert.ok(events.some(e => e.type === 'sim' && e.event === 'end' && e.converged === true))
  const html = readFileSync(report, 'utf8')
  assert.match(html, /<svg/)
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/)
  if (!browserAvailable()) { t.diagnostic('no chromium: screenshot skipped'); return }
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_FLAGS] })
  try {
    const page = await browser.newPage()
    await page.goto('file://' + report)
    assert.equal(await page.title(), `picostack sim ${fixture('tiny.ts')} --seed 9`)
    assert.ok(await page.locator('svg').count() >= 3)
    const shot = join(dir, 'report.png')
    await page.screenshot({ path: shot, fullPage: true })
    assert.ok(statSync(shot).size > 1000)
  } finally {
    await browser.close()
  }
})

test('sim: a scenario that throws: ScenarioFailed, exit 1, the log holds what happened until then', async t => {
  const { dir, done } = tmp()
  t.after(done)
  const out = join(dir, 'run.ndjson')
  const io = memIo()
  assert.equal(await main(['sim', fixture('throws.ts'), '--out', out], io), 1)
  assert.match(io.err, /ScenarioFailed: the scenario threw: scenario bug/)
  assert.ok(existsSync(out))
  assert.ok(lines(out).some(e => e.type === 'peer' && e.event === 'launch'))
})

test('sim: a peer init that rejects names the peer, exit 1, logged', async t => {
  const { dir, done } = tmp()
  t.after(done)
  const out = join(dir, 'run.ndjson')
  const io = memIo()
  assert.equal(await main(['sim', fixture('badinit.ts'), '--out', out, '--quiet'], io), 1)
  assert.match(io.err, /PeerInitFailed: peer 2 \(broken\) init failed: cannot boot/)
  const events = lines(out)
  assert.ok(events.some(e => e.type === 'sim' && e.event === 'error' && e.peer === 2 && e.code === 'PeerInitFailed'))
  assert.ok(events.some(e => e.type === 'sim' && e.event === 'end' && e.reason === 'error'))
})

test('sim: --speed paces virtual time (here 1000 virtual ms per real ms) and still converges', async () => {
  const io = memIo()
  assert.equal(await main(['sim', fixture('tiny.ts'), '--speed', '1000', '--quiet'], io), 0, io.err)
  assert.match(io.out, /converged/)
})

test('sim: a run past --until that never converged says so, exit 1', async () => {
  const io = memIo()
  assert.equal(await main(['sim', fixture('lonely.ts'), '--until', '20s', '--quiet'], io), 1)
  assert.match(io.err, /NotConverged: .* 20\.0 s of virtual time .*--seed 0/)
})

test('sim: --workers 2 runs the peers in two worker threads, converges, and says so in the log', async t => {
  const { dir, done } = tmp()
  t.after(done)
  const io = memIo()
  const out = join(dir, 'workers.ndjson')
  assert.equal(await main(['sim', fixture('tiny.ts'), '--workers', '2', '--out', out, '--quiet'], io), 0, io.err)
  assert.match(io.out, /converged at/)
  const ls = lines(out)
  assert.equal(ls[0]?.event, 'start')
  assert.equal(ls[0]?.workers, 2)
  assert.equal(ls.filter(l => l.type === 'custom' && l.name === 'ready').length, 4)
  const io2 = memIo()
  assert.equal(await main(['sim', fixture('tiny.ts'), '--workers', 'two'], io2), 2)
  assert.match(io2.err, /--workers expected an integer from 1 to 256, got two/)
  const io3 = memIo()
  assert.equal(await main(['sim', fixture('tiny.ts'), '--workers', '2', '--speed', '10'], io3), 2)
  assert.match(io3.err, /--speed paces one thread/)
})
