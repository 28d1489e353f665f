// The WebSocket transport with the browser's native WebSocket: a page in headless Chromium
// talks through fromWebSocket to a Node hub behind a `ws` server on 127.0.0.1.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import { Hub, wsWire } from '../../src/net/index.js'
import type { Answer, Plug, Reply } from '../../src/net/index.js'
import { browserAvailable, runInBrowser } from '../helpers/browser.js'
import { pattern } from './browser.entry.js'
import type { Input, Output } from './browser.entry.js'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)
const BIG = 1024 * 1024

test('net in Chromium: native WebSocket holds conversations with a Node hub', { skip: !browserAvailable() && 'chromium not installed' }, async () => {
  const heard: string[] = []
  let bigOk: boolean | undefined
  let greetingAnswer: Promise<Answer> | undefined
  let closed!: (e: Error | null) => void
  const nodeClosed = new Promise<Error | null>(resolve => { closed = resolve })
  const hub = new Hub({
    onclose: (_node, error) => closed(error),
    onmessage: async (msg, reply) => {
      if (reply === null) return
      if (msg.length === BIG) {
        const want = pattern(BIG)
        bigOk = msg.every((x, i) => x === want[i])
        await reply(msg.slice().reverse())
        return
      }
      const text = dec(msg)
      heard.push(text)
      if (text.startsWith('echo ')) { await reply(msg); return }
      if (text !== 'talk') { reply.reject(new Error(`unexpected ${text}`)); return }
      let to: Reply = reply
      let sum = 0
      for (let i = 1; i <= 3; i++) {
        const [answer, next] = await to(enc(`ping ${i}`), true)
        heard.push(dec(answer))
        sum += Number(dec(answer).slice(5))
        to = next as Reply
      }
      await to(enc(`done ${sum}`))
    }
  })
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 4 * BIG })
  await once(wss, 'listening')
  wss.on('connection', ws => wsWire(hub.createWire((node: Plug) => { greetingAnswer = node.postMessage(enc('node'), true) }), ws))
  const { port } = wss.address() as AddressInfo
  try {
    const input: Input = { url: `ws://127.0.0.1:${port}`, bigSize: BIG }
    const out = await runInBrowser<Output>(new URL('./browser.entry.ts', import.meta.url), input, { timeoutMs: 25_000 })
    assert.deepEqual(out, {
      hasBuffer: 'undefined',
      nativeWebSocket: true,
      greeting: 'node',
      echo: 'echo hi from the page',
      transcript: ['ping 1', 'ping 2', 'ping 3', 'done 6'],
      bigReplyLength: BIG,
      bigReplyReversed: true,
      closedWith: null
    })
    assert.ok(greetingAnswer !== undefined)
    assert.equal(dec((await greetingAnswer)[0]), 'hello back to node')
    assert.deepEqual(heard, ['echo hi from the page', 'talk', 'pong 1', 'pong 2', 'pong 3'])
    assert.equal(bigOk, true)
    assert.equal(await nodeClosed, null)
  } finally {
    for (const ws of wss.clients) ws.terminate()
    await new Promise<void>(resolve => wss.close(() => resolve()))
  }
})
