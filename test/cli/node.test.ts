import { test } from 'node:test'
import assert from 'node:assert/strict'
import { WebSocket } from 'ws'
import createTestnet from '@hyperswarm/testnet'
import { wsWire } from '../../src/net/index.js'
import type { WebSocketLike } from '../../src/net/index.js'
import { NodeKernel } from '../../src/cli/demo.js'
import { parseNodeArgs } from '../../src/cli/node.js'
import { nodes, silentUdpPort } from './_helpers.js'

const base = ['--offline', '--port', '0', '--ws-port', '0']

test('cli node: two nodes on 127.0.0.1 sync a note, then halt on SIGTERM', async t => {
  const { start, dir } = nodes(t)
  const a = start([...base, '--data', dir()])
  const [, aPort] = await a.line(/^listening tcp=127\.0\.0\.1:(\d+) ws=127\.0\.0\.1:(\d+)$/)
  const [, aPk] = await a.line(/^identity pk=([0-9a-f]{64}) node=[0-9a-f]+ /)
  await a.line(/^swarm topic=picostack status=disabled$/)
  const b = start([...base, '--data', dir(), '--connect', `127.0.0.1:${aPort!}`])
  await b.line(/^dial to=127\.0\.0\.1:\d+ status=connected$/)
  await a.line(/^peers count=1 ids=[0-9a-f]+$/)
  await b.line(/^peers count=1 ids=[0-9a-f]+$/)
  b.child.stdin.write('hello from b\n')
  const [, author] = await a.line(/^note count=1 author=([0-9a-f]+) text="hello from b"$/)
  await b.line(/^note count=1 /)
  assert.notEqual(author, aPk!.slice(0, 16))
  await a.line(/^chains count=1 heights=[0-9a-f]{16}:0$/)
  a.child.stdin.write('and back\n')
  await b.line(/^note count=2 author=[0-9a-f]+ text="and back"$/)
  assert.equal(await b.stop(), 0)
  assert.equal(await a.stop(), 0)
  assert.equal(a.lines.at(-1), 'halt')
  assert.equal(b.lines.at(-1), 'halt')
})

test('cli node: a restarted node keeps its identity and its blocks', async t => {
  const { start, dir } = nodes(t)
  const data = dir()
  const a = start([...base, '--data', data, '--tick', '20'])
  const [, pk] = await a.line(/^identity pk=([0-9a-f]{64}) /)
  await a.line(/^note count=2 /)
  assert.equal(await a.stop(), 0)
  const [, count] = [...a.lines].reverse().join('\n').match(/^note count=(\d+)/m) ?? []
  const again = start([...base, '--data', data])
  const [, pk2] = await again.line(/^identity pk=([0-9a-f]{64}) /)
  assert.equal(pk2, pk)
  await again.line(new RegExp(`^note count=${count!} `))
  await again.line(new RegExp(`^chains count=1 heights=[0-9a-f]{16}:${Number(count) - 1}$`))
  assert.equal(await again.stop(), 0)
})

test('cli node: a kernel connected over WebSocket syncs with the node', async t => {
  const { start, dir } = nodes(t)
  const a = start([...base, '--data', dir()])
  const [, , wsPort] = await a.line(/^listening tcp=127\.0\.0\.1:(\d+) ws=127\.0\.0\.1:(\d+)$/)
  const k = new NodeKernel()
  await k.boot()
  t.after(() => k.halt())
  wsWire(k.spawnWire(), new WebSocket(`ws://127.0.0.1:${wsPort!}`) as unknown as WebSocketLike)
  await a.line(/^peers count=1 /)
  await k.createNote('over ws')
  await a.line(/^note count=1 author=[0-9a-f]+ text="over ws"$/)
})

test('cli node: two nodes find each other on a local DHT (--bootstrap)', async t => {
  const testnet = await createTestnet(3)
  t.after(() => testnet.destroy())
  const { start, dir } = nodes(t)
  const boot = testnet.bootstrap.map(b => ['--bootstrap', `${b.host}:${b.port}`]).flat()
  const args = ['--port', '0', '--ws-port=-1', '--topic', 'cli-test', ...boot]
  // (a node that gets no DHT answer in time says `status=offline` and tries again)
  const a = start([...args, '--data', dir()])
  await a.line(/^swarm topic=cli-test status=joined$/)
  const b = start([...args, '--data', dir()])
  await b.line(/^swarm topic=cli-test status=joined$/)
  await a.line(/^peers count=1 /)
  b.child.stdin.write('via the swarm\n')
  await a.line(/^note count=1 author=[0-9a-f]+ text="via the swarm"$/)
  assert.equal(await a.stop(), 0)
  assert.equal(await b.stop(), 0)
})

test('cli node: a node started before its DHT tries again and joins once the DHT answers', async t => {
  const port = await silentUdpPort() // no DHT behind it yet
  const { start, dir } = nodes(t)
  const args = ['--port', '0', '--ws-port=-1', '--http-port=-1', '--topic', 'cli-late', '--bootstrap', `127.0.0.1:${port}`]
  const a = start([...args, '--data', dir()])
  await a.line(/^swarm topic=cli-late status=offline reason=no-dht-reply retry=5s$/)
  const testnet = await createTestnet(3, { port })
  t.after(() => testnet.destroy())
  await a.line(/^swarm topic=cli-late status=joined$/)
  const b = start([...args, '--data', dir()])
  await b.line(/^swarm topic=cli-late status=joined$/)
  await a.line(/^peers count=1 /)
  assert.equal(await a.stop(), 0)
  assert.equal(await b.stop(), 0)
})

test('cli node: --help and bad flags', async t => {
  const { start } = nodes(t)
  const help = start(['--help'])
  assert.equal(await help.exited, 0)
  assert.match(help.lines.join('\n'), /Usage: picostack node/)
  const bad = start(['--port', 'x'])
  assert.equal(await bad.exited, 2)
  const unknown = start(['--frobnicate'])
  assert.equal(await unknown.exited, 2)
  // a port past 65535 is a usage mistake at once, not a failure to listen after start-up
  const far = start(['--port', '99999', '--offline'])
  assert.equal(await far.exited, 2)
  assert.match(far.stderr, /--port expected an integer from 0 to 65535, got 99999/)
  assert.deepEqual(far.lines, [])
})

test('cli node: ports and counts are parsed within their range', () => {
  assert.equal(parseNodeArgs(['--port', '65535', '--ws-port=-1']).port, 65535)
  for (const args of [['--port', '65536'], ['--ws-port', '70000'], ['--http-port=-2'], ['--port', ''], ['--tick', '1.5'], ['--max-connections=-1']]) {
    assert.throws(() => parseNodeArgs(args), RangeError, args.join(' '))
  }
})
