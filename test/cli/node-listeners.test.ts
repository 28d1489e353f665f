// `picostack node`'s listeners under hostile input: connection caps per address (TCP and
// WebSocket together) and the sync protocol's frame limit. The node runs in-process (runNode).
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { WebSocket } from 'ws'
import { parseNodeArgs, runNode } from '../../src/cli/node.js'
import { MAX_MESSAGE_SIZE } from '../../src/kernel/constants.js'
import { knock } from '../net/helpers.js'

test('cli node: --max-connections and --max-per-address parse, default and refuse bad values', () => {
  const d = parseNodeArgs([])
  assert.equal(d.maxConnections, 256)
  assert.equal(d.maxPerAddress, 16)
  const o = parseNodeArgs(['--max-connections', '10', '--max-per-address', '0'])
  assert.equal(o.maxConnections, 10)
  assert.equal(o.maxPerAddress, 0)
  assert.throws(() => parseNodeArgs(['--max-per-address=-1']), RangeError)
  assert.throws(() => parseNodeArgs(['--max-connections', 'many']), RangeError)
})

test('cli node: listeners cap connections per address and refuse frames above the protocol limit', async t => {
  const data = mkdtempSync(join(tmpdir(), 'picostack-listeners-'))
  const ac = new AbortController()
  const lines: string[] = []
  let wake: (() => void) | null = null
  const line = async (re: RegExp): Promise<RegExpMatchArray> => {
    for (;;) {
      for (const l of lines) { const m = l.match(re); if (m !== null) return m }
      await new Promise<void>(resolve => { wake = resolve })
    }
  }
  const running = runNode(['--offline', '--data', data, '--port', '0', '--ws-port', '0', '--max-per-address', '2'], {
    out: l => { lines.push(l); wake?.() },
    err: l => { lines.push(l); wake?.() },
    signal: ac.signal
  })
  const open: Array<{ close: () => void }> = []
  t.after(async () => {
    for (const o of open) o.close()
    ac.abort()
    assert.equal(await running, 0)
    rmSync(data, { recursive: true, force: true })
  })
  const [, tcp, ws] = await line(/^listening tcp=127\.0\.0\.1:(\d+) ws=127\.0\.0\.1:(\d+)$/)
  const tcpPort = Number(tcp)
  const wsPort = Number(ws)

  // two from 127.0.0.2 over TCP; a third is refused, even on the WebSocket port
  const a1 = await knock(tcpPort, '127.0.0.2')
  const a2 = await knock(tcpPort, '127.0.0.2')
  const a3 = await knock(tcpPort, '127.0.0.2')
  const a4 = await knock(wsPort, '127.0.0.2')
  for (const c of [a1, a2, a3, a4]) open.push({ close: () => c.socket.destroy() })
  assert.deepEqual([a1.result, a2.result, a3.result, a4.result], ['admitted', 'admitted', 'refused', 'refused'])

  // another address is not held back; its WebSocket works
  const b1 = new WebSocket(`ws://127.0.0.1:${wsPort}`, { localAddress: '127.0.0.3' })
  b1.on('error', () => {})
  open.push({ close: () => b1.terminate() })
  await once(b1, 'message') // the node's hello

  // a plain HTTP request to the WebSocket port is answered 426 Upgrade Required
  const res = await fetch(`http://127.0.0.1:${wsPort}/`)
  assert.equal(res.status, 426)

  // a frame announcing more than the sync protocol's limit closes the connection
  const big = new Uint8Array(13)
  new DataView(big.buffer).setUint32(0, MAX_MESSAGE_SIZE + 9 + 1)
  const closed = once(a1.socket, 'close')
  a1.socket.resume()
  a1.socket.write(big)
  await closed

  // so does a WebSocket message above it (ws maxPayload)
  const [code] = await new Promise<[number]>(resolve => {
    b1.once('close', (c: number) => resolve([c]))
    b1.send(new Uint8Array(MAX_MESSAGE_SIZE + 9 + 1))
  })
  assert.equal(code, 1009)
})
