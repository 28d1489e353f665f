import { DEFAULT_OPEN_TIMEOUT } from './constants.js'
import { NetError, safetyCatch, toError } from './errors.js'
import { pipeAnswer } from './relay.js'
import type { Answer, Handler, Plug, Reply, SendOptions, WireOptions } from './types.js'
import { picoWire } from './wire.js'

/** Nodes a survey or broadcast leaves out: a node, a node id, or a list of them. */
export type NodeFilter = Plug | string | Iterable<Plug | string>

/** Options of {@link Hub}. */
export interface HubOptions {
  /**
   * Controller mode: every message from any node goes to this handler, with the node as the
   * third argument. Without it the hub is a repeater (see {@link Hub}).
   */
  onmessage?: Handler
  /** Called once when a node that was opened leaves, with the close error or `null`. */
  onclose?: (node: Plug, error: Error | null) => void
  /** Milliseconds a loose end may stay unopened before its wire closes with `NodeTimedout` (30 000; `0` = forever). */
  openTimeout?: number
}

/** Options of {@link Hub.survey} and {@link Hub.broadcast}. */
export interface SurveyOptions extends SendOptions {
  /** Nodes to leave out. */
  filter?: NodeFilter
  /** Told about each node whose conversation failed (the survey itself goes on). */
  onerror?: (node: Plug, error: Error) => void
}

/**
 * One answer of a survey: the answer, the function to continue the conversation with that node
 * (or `null`), the node, and `abort()` to end the survey after this item.
 */
export type SurveyItem = readonly [message: Uint8Array, reply: Reply | null, node: Plug, abort: () => void]

function excluder (filter: NodeFilter | undefined): (node: Plug) => boolean {
  if (filter === undefined) return () => false
  const list: Array<Plug | string> = typeof filter === 'string' || !(Symbol.iterator in (filter as object))
    ? [filter as Plug | string]
    : [...(filter as Iterable<Plug | string>)]
  const plugs = new Set<Plug>()
  const ids = new Set<string>()
  for (const x of list) {
    if (typeof x === 'string') ids.add(x)
    else plugs.add(x)
  }
  return node => plugs.has(node) || (node.id !== undefined && ids.has(node.id))
}

/**
 * Many wires, one place. Each {@link Hub.createWire} makes a wire whose hub end (the **node**)
 * joins the hub once the other end (the loose end, handed to the caller) is opened.
 *
 * - **Controller mode** (`onmessage` given): every message from every node goes to that handler.
 * - **Repeater mode** (no `onmessage`): a shared bus. A message without reply expected is
 *   forwarded to every other node. A message expecting a reply is surveyed to every other node
 *   and the first answer is relayed back (the conversation continues with that node; later
 *   answers are dropped); with no answer the sender's promise rejects with `NoAnswer`.
 *
 * @example
 * ```ts
 * const hub = new Hub({ onmessage: async (msg, reply, node) => { await reply?.(msg) } })
 * const plug = hub.createWire()
 * streamWire(plug, socket) // or spliceWires(plug, other), or plug.open(handler)
 * ```
 */
export class Hub {
  readonly #nodes: Set<Plug> = new Set()
  readonly #handler: Handler
  readonly #onclose: ((node: Plug, error: Error | null) => void) | undefined
  readonly #openTimeout: number

  /**
   * @param options - `onmessage` (controller mode), `onclose`, `openTimeout`
   * @throws TypeError when `options` is a function (the original's `new Hub(onmessage, onclose)`:
   *   write `new Hub({ onmessage, onclose })`), or `onmessage`/`onclose` is given but not a function
   */
  constructor (options: HubOptions = {}) {
    if (typeof options === 'function') throw new TypeError('new Hub(onmessage) is the original picostack form: write new Hub({ onmessage, onclose }) (an options object)')
    if (options === null || typeof options !== 'object') throw new TypeError('"options" expected an object: new Hub({ onmessage, onclose, openTimeout })')
    const { onmessage, onclose, openTimeout = DEFAULT_OPEN_TIMEOUT } = options
    if (onmessage !== undefined && typeof onmessage !== 'function') throw new TypeError('"onmessage" expected a function')
    if (onclose !== undefined && typeof onclose !== 'function') throw new TypeError('"onclose" expected a function')
    if (typeof openTimeout !== 'number' || !(openTimeout >= 0)) throw new RangeError('"openTimeout" expected a non-negative number')
    this.#handler = onmessage ?? ((message, reply, node) => this.#repeat(message, reply, node))
    this.#onclose = onclose
    this.#openTimeout = openTimeout
  }

  /** Number of nodes (opened, not closed). */
  get count (): number { return this.#nodes.size }

  /** The current nodes (a snapshot). */
  get nodes (): Plug[] { return [...this.#nodes] }

  /**
   * Creates a wire, keeps its node and returns the loose end for the caller to open, splice or
   * attach to a transport. When the loose end opens, the node joins and `onopen(node)` runs
   * (if it throws, the wire closes with that error). When the wire closes, the node leaves.
   *
   * @param onopen - called with the node once the loose end is opened
   * @param options - wire options (`id`, `timeout`)
   * @returns the loose end
   */
  createWire (onopen?: (node: Plug) => void, options?: WireOptions): Plug {
    const [node, loose] = picoWire(options)
    node.open(this.#handler)
    let timer: ReturnType<typeof setTimeout> | undefined
    if (this.#openTimeout > 0 && this.#openTimeout !== Infinity) {
      timer = setTimeout(() => node.close(new NetError('NodeTimedout', `NodeTimedout: not opened within ${this.#openTimeout} ms`)), this.#openTimeout)
    }
    let joined = false
    node.opened.then(() => {
      clearTimeout(timer)
      if (node.isClosed) return
      joined = true
      this.#nodes.add(node)
      try { onopen?.(node) } catch (err) { node.close(toError(err)) }
    }, () => {})
    node.closed.then(err => {
      clearTimeout(timer)
      this.#nodes.delete(node)
      if (joined) this.#onclose?.(node, err)
    }, safetyCatch)
    return loose
  }

  /**
   * Closes a node's wire (with `error`, if given); the node then leaves and `onclose` runs.
   *
   * @param node - a node of this hub, or its id
   * @param error - the close reason
   * @returns whether such a node was found
   */
  disconnect (node: Plug | string, error?: Error): boolean {
    const found = typeof node === 'string'
      ? [...this.#nodes].find(n => n.id === node)
      : (this.#nodes.has(node) ? node : undefined)
    if (found === undefined) return false
    this.#nodes.delete(found)
    found.close(error)
    return true
  }

  /**
   * Closes every node's wire.
   *
   * @param error - the close reason given to every wire
   */
  close (error?: Error): void {
    for (const node of this.#nodes) node.close(error)
  }

  #targets (filter: NodeFilter | undefined): Plug[] {
    const excluded = excluder(filter)
    const out: Plug[] = []
    for (const node of this.#nodes) if (node.isActive && !excluded(node)) out.push(node)
    return out
  }

  /**
   * Sends `message` expecting a reply to every node (except those in `filter`) and yields the
   * answers as they arrive. A node that fails or closes is skipped (reported to `onerror`) and
   * never ends the survey. Breaking out of the loop, calling an item's `abort()` or aborting
   * `signal` ends it and aborts the waits still outstanding.
   *
   * @param message - the bytes to send
   * @param options - `filter`, `timeout` per node, `signal`, `onerror`
   * @returns an async iterator of {@link SurveyItem}
   * @example
   * ```ts
   * for await (const [answer, reply, node, abort] of hub.survey(question)) {
   *   if (isGood(answer)) { abort(); break }
   * }
   * ```
   */
  survey (message: Uint8Array, options: SurveyOptions = {}): AsyncIterableIterator<SurveyItem> {
    return this.#survey(message, options)
  }

  async * #survey (message: Uint8Array, options: SurveyOptions): AsyncGenerator<SurveyItem> {
    if (!(message instanceof Uint8Array)) throw new TypeError(`"message" expected Uint8Array, got ${typeof message}`)
    const { filter, onerror, signal } = options
    if (signal?.aborted === true) return
    let stopped = false
    const waits: AbortController[] = [] // one per node: a shared signal would collect a listener per node
    const ready: SurveyItem[] = []
    let wake: (() => void) | null = null
    const abort = (): void => { stopped = true; wake?.() }
    signal?.addEventListener('abort', abort, { once: true })
    let outstanding = 0
    for (const node of this.#targets(filter)) {
      const wait = new AbortController()
      waits.push(wait)
      const send: SendOptions = { signal: wait.signal }
      if (options.timeout !== undefined) send.timeout = options.timeout
      outstanding++
      node.postMessage(message, true, send).then(([answer, reply]) => {
        ready.push([answer, reply, node, abort])
      }, (err: Error) => {
        if (!stopped) onerror?.(node, err)
      }).finally(() => {
        outstanding--
        wake?.()
      })
    }
    try {
      while (!stopped) {
        const item = ready.shift()
        if (item !== undefined) { yield item; continue }
        if (outstanding === 0) break
        await new Promise<void>(resolve => { wake = resolve })
        wake = null
      }
    } finally {
      stopped = true
      signal?.removeEventListener('abort', abort)
      for (const wait of waits) wait.abort()
    }
  }

  /**
   * Sends `message` to every node (except those in `filter`). Without reply expected, resolves
   * with the nodes that accepted it; with reply expected, collects the whole survey.
   * A node that fails is skipped (reported to `onerror`).
   *
   * @param message - the bytes to send
   * @param replyExpected - whether to collect answers
   * @param options - `filter`, `timeout`, `signal`, `onerror`
   * @returns the nodes reached, or every {@link SurveyItem}
   */
  broadcast (message: Uint8Array, replyExpected: true, options?: SurveyOptions): Promise<SurveyItem[]>
  broadcast (message: Uint8Array, replyExpected?: false, options?: SurveyOptions): Promise<Plug[]>
  async broadcast (message: Uint8Array, replyExpected?: boolean, options: SurveyOptions = {}): Promise<SurveyItem[] | Plug[]> {
    if (replyExpected === true) {
      const items: SurveyItem[] = []
      for await (const item of this.survey(message, options)) items.push(item)
      return items
    }
    if (!(message instanceof Uint8Array)) throw new TypeError(`"message" expected Uint8Array, got ${typeof message}`)
    const targets = this.#targets(options.filter)
    const send: SendOptions = options.signal === undefined ? {} : { signal: options.signal }
    const results = await Promise.allSettled(targets.map(node => node.postMessage(message, false, send)))
    const reached: Plug[] = []
    results.forEach((r, i) => {
      const node = targets[i] as Plug
      if (r.status === 'fulfilled') reached.push(node)
      else options.onerror?.(node, toError(r.reason))
    })
    return reached
  }

  /** Repeater mode: forward to every other node; for a question, relay the first answer. */
  async #repeat (message: Uint8Array, reply: Reply | null, source: Plug): Promise<void> {
    if (reply === null) {
      await this.broadcast(message, false, { filter: source })
      return
    }
    const first = new Promise<Answer>((resolve, reject) => {
      (async () => {
        for await (const [answer, next, , abort] of this.survey(message, { filter: source, signal: reply.signal, timeout: 0 })) {
          abort()
          resolve([answer, next])
          return
        }
        reject(new NetError('NoAnswer', 'NoAnswer: no other node answered'))
      })().catch(reject)
    })
    pipeAnswer(first, reply)
  }
}
