import { safetyCatch } from './errors.js'
import type { Answer, Plug, Reply } from './types.js'
import { isPlug, sameWire } from './wire.js'

/**
 * Relays one answer of a conversation to `to` and keeps relaying the rest of the chain in both
 * directions. A failure on either side ends the other side's wait with the same error; a side
 * that stops waiting aborts the relayed wait (through the reply's `signal`). @internal
 */
export function pipeAnswer (answer: Promise<Answer>, to: Reply): void {
  answer.then(([message, back]) => {
    if (back === null) {
      to(message, false).catch(safetyCatch)
      return
    }
    pipeAnswer(to(message, true, { timeout: 0, signal: back.signal }), back)
  }, (err: Error) => { to.reject(err) })
}

/**
 * Re-posts a message received with `reply` from `target`, relaying the whole conversation.
 * Resolves when a message without reply expected is delivered. @internal
 */
export function forward (target: Plug, message: Uint8Array, reply: Reply | null): Promise<undefined> | undefined {
  if (reply === null) return target.postMessage(message, false)
  pipeAnswer(target.postMessage(message, true, { timeout: 0, signal: reply.signal }), reply)
  return undefined
}

/**
 * Joins two plugs of different wires so that their far ends talk to each other: messages
 * arriving at `p` are re-posted from `q` and vice versa, and every reply of a conversation is
 * relayed back the same way. Closing either wire closes the other with the same error.
 *
 * @param p - a plug without a handler
 * @param q - a plug of another wire, without a handler
 * @returns a function that closes both wires
 * @throws TypeError when either is not a plug, both are ends of one wire, or one already has a handler
 * @example
 * ```ts
 * const [a, p] = picoWire()
 * const [q, b] = picoWire()
 * spliceWires(p, q) // a talks to b
 * ```
 */
export function spliceWires (p: Plug, q: Plug): () => void {
  if (!isPlug(p) || !isPlug(q)) throw new TypeError('"p" and "q" expected two plugs')
  if (p === q || sameWire(p, q)) throw new TypeError('"p" and "q" must be ends of two different wires')
  p.open((message, reply) => forward(q, message, reply))
  q.open((message, reply) => forward(p, message, reply))
  p.closed.then(err => q.close(err ?? undefined), safetyCatch)
  q.closed.then(err => p.close(err ?? undefined), safetyCatch)
  return () => { p.close(); q.close() }
}
