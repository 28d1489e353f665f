// Runs in headless Chromium (test/net/browser.test.ts): the browser's native WebSocket carries
// conversations with a Node hub through fromWebSocket. No Node built-ins here.
import { fromWebSocket } from '../../src/net/index.js'
import type { Answer, Reply } from '../../src/net/index.js'

export interface Input { url: string, bigSize: number }
export interface Output {
  hasBuffer: string
  nativeWebSocket: boolean
  /** The server's greeting, answered by the page's handler. */
  greeting: string
  echo: string
  /** What the server said in the multi-turn conversation, in order. */
  transcript: string[]
  /** The server's answer to the big message is its bytes reversed. */
  bigReplyLength: number
  bigReplyReversed: boolean
  closedWith: string | null
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)
/** Deterministic bytes the server can check: byte i is (i * 31 + 7) mod 256. */
export const pattern = (n: number): Uint8Array => {
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 255
  return b
}

export async function run (input: Input): Promise<Output> {
  const socket = new WebSocket(input.url)
  const plug = fromWebSocket(socket)
  let greeted!: (s: string) => void
  const greeting = new Promise<string>(resolve => { greeted = resolve })
  await plug.open(async (msg, reply) => {
    greeted(dec(msg))
    await reply?.(enc(`hello back to ${dec(msg)}`))
  })

  const [echo] = await plug.postMessage(enc('echo hi from the page'), true)

  // the server asks "ping n" until it has asked three times, then says "done <sum>"
  const transcript: string[] = []
  let answer: Answer = await plug.postMessage(enc('talk'), true)
  for (;;) {
    const said = dec(answer[0])
    transcript.push(said)
    if (!said.startsWith('ping ')) break
    const replyTo = answer[1] as Reply
    answer = await replyTo(enc(`pong ${said.slice(5)}`), true)
  }

  const big = pattern(input.bigSize)
  const [back] = await plug.postMessage(big, true)
  let reversed = back.length === big.length
  for (let i = 0; reversed && i < big.length; i++) reversed = back[i] === big[big.length - 1 - i]

  plug.close()
  const error = await plug.closed
  return {
    hasBuffer: typeof (globalThis as { Buffer?: unknown }).Buffer,
    nativeWebSocket: String(WebSocket).includes('[native code]'),
    greeting: await greeting,
    echo: dec(echo),
    transcript,
    bigReplyLength: back.length,
    bigReplyReversed: reversed,
    closedWith: error === null ? null : String(error)
  }
}
