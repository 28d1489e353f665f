// `picostack node` mounts the WebRTC signalling relay at /signal on its WebSocket port: pages
// join a room there, the connection gate stays in front of it, garbage closes the page's
// connection with BadSignal, and the sync WebSocket on other paths is unaffected.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { WebSocket } from 'ws'
import { runNode } from '../../src/cli/node.js'
import { SIGNAL_CLOSE_CODES } from '../../src/net/index.js'

test('cli node: /signal is the relay, behind the connection gate; other paths stay the sync socket', async t => {
  const data = mkdtempSync(join(tmpdir(), 'wires-signal-'))
  const ac = new AbortController()
  const lines: string[] = []
  let wake: (() => void) | null = null
  const running = runNode(['--offline', '--data', data, '--port', '0', '--ws-port', '0', '--max-per-address', '1'], {
    out: l => { lines.push(l); wake?.() },
    err: l => { lines.push(l); wake?.() },
    signal: ac.signal
  })
  const open: WebSocket[] = []
  t.after(async () => {
    for (const ws of open) ws.terminate()
    ac.abort()
    assert.equal(await running, 0)
    rmSync(data, { recursive: true, force: true })
  })
  let port = 0
  while (port === 0) {
    const m = lines.map(l => /^listening .*ws=127\.0\.0\.1:(\d+)/.exec(l)).find(x => x !== null)
    if (m != null) port = Number(m[1])
    else await new Promise<void>(resolve => { wake = resolve })
  }
  const connect = (path: string, from: string): WebSocket => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { localAddress: from })
    ws.on('error', () => {})
    open.push(ws)
    return ws
  }

  // a page joins a room
  const page = connect('/signal', '127.0.0.4')
  await once(page, 'open')
  page.send(JSON.stringify({ type: 'join', room: 'r' }))
  const [welcome] = await once(page, 'message') as [Buffer]
  assert.match(welcome.toString(), /^\{"type":"welcome","id":"[0-9a-f]{16}","peers":\[\]\}$/)

  // the gate counts it: a second connection from that address is refused before the upgrade
  const second = connect('/signal?room=x', '127.0.0.4')
  let opened = false
  second.on('open', () => { opened = true })
  await new Promise<void>(resolve => second.once('close', () => resolve()))
  assert.equal(opened, false)

  // the sync socket on another path, from another address, speaks the sync protocol
  const sync = connect('/', '127.0.0.5')
  await once(sync, 'message') // the node's hello (binary)

  // garbage on /signal closes that page only, with BadSignal
  const bad = connect('/signal', '127.0.0.6')
  await once(bad, 'open')
  bad.send('{"type":"nonsense"}')
  const [badCode, reason] = await once(bad, 'close') as [number, Buffer]
  assert.equal(badCode, SIGNAL_CLOSE_CODES.BadSignal)
  assert.equal(reason.toString(), 'BadSignal')
  assert.equal(page.readyState, WebSocket.OPEN)
  assert.equal(sync.readyState, WebSocket.OPEN)
})
