// Runs in a page of the demo (test/demo/page.test.ts): a tab that misbehaves towards the node
// over the page's own WebSocket. Each attack reports how the node closed the connection.
import { Feed, signPair } from '../../src/feed/index.js'
import { BYE_FLOOD, BYE_INVALID_BLOCKS, BYE_PROTOCOL } from '../../src/kernel/constants.js'
import { encodeBlocks, encodeSummary } from '../../src/kernel/protocol.js'
import { fromWebSocket } from '../../src/net/index.js'
import { encodeBody } from '../../src/store/index.js'
import { MAX_TITLE, COLLECTION } from '../../src/todo/index.js'
import { RawPeer } from '../kernel/raw.js'

/** How the node ended one attack's connection. */
export interface Outcome {
  /** The WebSocket close code and reason (the error code the node closed with). */
  code: number
  reason: string
  /** The node's `bye` code, when it sent one. */
  bye?: number
}

export interface Output {
  garbage: Outcome
  text: Outcome
  forged: Outcome
  overrun: Outcome
  byes: { protocol: number, invalidBlocks: number, flood: number }
}

const url = (): string => `ws://${location.host}/`

function closeOf (ws: WebSocket): Promise<{ code: number, reason: string }> {
  return new Promise(resolve => ws.addEventListener('close', e => resolve({ code: e.code, reason: e.reason })))
}

async function raw (send: (ws: WebSocket) => void): Promise<Outcome> {
  const ws = new WebSocket(url())
  ws.binaryType = 'arraybuffer'
  const closed = closeOf(ws)
  await new Promise(resolve => ws.addEventListener('open', resolve))
  send(ws)
  return await closed
}

async function speaking (attack: (peer: RawPeer) => Promise<void>): Promise<Outcome> {
  const ws = new WebSocket(url())
  const closed = closeOf(ws)
  const peer = await RawPeer.open(fromWebSocket(ws as never))
  let bye: number | undefined
  peer.on(msg => { if (msg[0] === 0x05) bye = msg[1] })
  await peer.greet()
  await attack(peer)
  const c = await closed
  return { ...c, ...(bye === undefined ? {} : { bye }) }
}

function todoBlock (payload: unknown, corrupt = false): Uint8Array {
  const f = new Feed()
  f.append(encodeBody(COLLECTION, payload), signPair().sk)
  const msg = encodeBlocks(f)
  if (corrupt) msg[msg.length - 1] ^= 0x55
  return msg
}

export async function run (): Promise<Output> {
  const garbage = await raw(ws => ws.send(new Uint8Array(64).fill(0xab)))
  const text = await raw(ws => ws.send('hello node'))
  const forged = await speaking(async peer => {
    await peer.plug.postMessage(encodeSummary([]))
    await peer.plug.postMessage(todoBlock({ op: 'add', title: 'forged' }, true))
  })
  const overrun = await speaking(async peer => {
    const filler = encodeSummary(Array.from({ length: 100_000 }, () => ({ chainId: new Uint8Array(16), height: 0, tip: new Uint8Array(8) })))
    for (let i = 0; i < 5; i++) void peer.plug.postMessage(filler).catch(() => {})
  })
  // rule-breaking todos: refused by the node's rules, not a reason to drop the peer; a good one
  // sent after them reaches the other page (the test checks, and that this socket stays open)
  const ws = new WebSocket(url())
  const plug = fromWebSocket(ws as never)
  ;(globalThis as { __hostilePlug?: unknown }).__hostilePlug = plug
  const peer = await RawPeer.open(plug)
  await peer.greet()
  await peer.plug.postMessage(encodeSummary([]))
  await peer.plug.postMessage(todoBlock({ op: 'add', title: 'x'.repeat(MAX_TITLE + 1) }))
  await peer.plug.postMessage(todoBlock({ op: 'add', title: '' }))
  await peer.plug.postMessage(todoBlock({ op: 'add', title: 'sent after bad todos' }))
  return { garbage, text, forged, overrun, byes: { protocol: BYE_PROTOCOL, invalidBlocks: BYE_INVALID_BLOCKS, flood: BYE_FLOOD } }
}
