// The published entry point, bin/picostack.js on dist/ (`npm run build` first; `npm test`
// builds): the exit-code convention, Ctrl-C on a node in any state, dial failure reasons and
// `picostack dht` with two nodes meeting on it. Network: loopback only.
import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createServer } from 'node:net'
import { once } from 'node:events'
import { assertBuilt, entryArgs, nodes, silentUdpPort } from './_helpers.js'

before(() => assertBuilt())

function picostack (args: string[]): { code: number | null, out: string, err: string } {
  const r = spawnSync(process.execPath, [...entryArgs('bin'), ...args], { encoding: 'utf8', timeout: 60_000 })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

/** Resolves to the exit code, or rejects when the process is still running after `ms` (an upper bound, not a measure). */
async function exitWithin (exited: Promise<number | null>, ms: number): Promise<number | null> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`still running ${ms} ms after the signal`)), ms) })
  try {
    return await Promise.race([exited, late])
  } finally {
    clearTimeout(timer)
  }
}

test('bin: one exit-code convention, documented in every --help', () => {
  for (const args of [['--help'], ['feed', '--help'], ['node', '--help'], ['dht', '--help']]) {
    const r = picostack(args)
    assert.equal(r.code, 0, args.join(' '))
    assert.match(r.out, /Exit codes: 0 success, 1 runtime failure .*, 2 usage mistake/, args.join(' '))
  }
  // usage mistakes: 2, the error and then the usage
  for (const args of [['frobnicate'], ['feed', 'get'], ['feed', 'key'], ['node', '--port', 'x'], ['node', '--frobnicate'], ['dht', '--nodes', '0']]) {
    const r = picostack(args)
    assert.equal(r.code, 2, args.join(' '))
    assert.match(r.err, /^error /, args.join(' '))
    assert.match(r.err, /usage|--help/i, args.join(' '))
  }
  // runtime failures: 1, one error line
  const missing = picostack(['feed', 'get', 'no/such/file.pic'])
  assert.equal(missing.code, 1)
  assert.equal(missing.err, 'error FileNotFound: no/such/file.pic\n')
  const key = picostack(['feed', 'key', 'ab'.repeat(32)])
  assert.equal(key.code, 0)
  assert.match(key.out, /^[0-9a-f]{64}\n$/)
})

test('bin: Ctrl-C while the DHT is joining prints halting and halts', async t => {
  const silent = await silentUdpPort()
  const { start, dir } = nodes(t, 'bin')
  const a = start(['--data', dir(), '--port', '0', '--ws-port=-1', '--bootstrap', `127.0.0.1:${silent}`])
  await a.line(/^swarm topic=picostack status=joining$/)
  a.child.kill('SIGINT')
  await a.line(/^halting$/)
  // the command's own deadline is 0.7 s; the bound here only keeps a regression from hanging
  assert.equal(await exitWithin(a.exited, 5000), 0)
  assert.equal(a.lines.at(-1), 'halt')
})

test('bin: an unreachable DHT is reported once it has bootstrapped without a node, and tried again', async t => {
  const silent = await silentUdpPort()
  const { start, dir } = nodes(t, 'bin')
  const a = start(['--data', dir(), '--port', '0', '--ws-port=-1', '--bootstrap', `127.0.0.1:${silent}`])
  await a.line(/^swarm topic=picostack status=offline reason=no-dht-reply retry=5s$/)
  // and again, with a fresh DHT node, the wait doubled
  await a.line(/^swarm topic=picostack status=offline reason=no-dht-reply retry=10s$/)
  assert.equal(await a.stop(), 0)
})

test('bin: Ctrl-C on an offline node halts too', async t => {
  const { start, dir } = nodes(t, 'bin')
  const a = start(['--data', dir(), '--offline', '--ws-port=-1'])
  await a.line(/^identity /)
  a.child.kill('SIGINT')
  await a.line(/^halting$/)
  assert.equal(await exitWithin(a.exited, 5000), 0)
})

test('bin: a node whose output reader goes away (EPIPE) halts cleanly instead of crashing', async t => {
  const { start, dir } = nodes(t, 'bin')
  const a = start(['--data', dir(), '--offline', '--ws-port=-1', '--http-port=-1'])
  await a.line(/^chains /)
  a.child.stdout.destroy() // as `picostack node | head -3` does once head has its lines
  a.child.stdin.write('a note whose line has nowhere to go\n') // the next line out meets EPIPE
  assert.equal(await exitWithin(a.exited, 10_000), 0)
  assert.equal(a.stderr, '')
})

test('bin: a failed dial says why', async t => {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as { port: number }).port
  server.close()
  await once(server, 'close')
  const { start, dir } = nodes(t, 'bin')
  const a = start(['--data', dir(), '--offline', '--ws-port=-1', '--connect', `127.0.0.1:${port}`])
  await a.line(new RegExp(`^dial to=127\\.0\\.0\\.1:${port} status=failed reason=ECONNREFUSED$`))
})

test('bin: picostack dht runs a DHT on loopback where two nodes meet', async t => {
  const { start, run, dir } = nodes(t, 'bin')
  const dht = run(['dht', '--port', '0'])
  const [, bootstrap] = await dht.line(/^dht bootstrap=(127\.0\.0\.1:\d+) nodes=3$/)
  const args = ['--port', '0', '--ws-port=-1', '--topic', 'bin-dht-test', '--bootstrap', bootstrap!]
  const a = start([...args, '--data', dir()])
  // b looks the topic up once a has announced it (two lookups racing may both miss the other)
  await a.line(/^swarm topic=bin-dht-test status=joined$/)
  const b = start([...args, '--data', dir()])
  await b.line(/^swarm topic=bin-dht-test status=joined$/)
  await a.line(/^peers count=1 /)
  b.child.stdin.write('via picostack dht\n')
  await a.line(/^note count=1 author=[0-9a-f]+ text="via picostack dht"$/)
  assert.equal(await a.stop(), 0)
  assert.equal(await b.stop(), 0)
  dht.child.kill('SIGINT')
  await dht.line(/^halting$/)
  assert.equal(await exitWithin(dht.exited, 5000), 0)
})
