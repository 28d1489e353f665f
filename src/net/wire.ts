import { DEFAULT_TIMEOUT } from './constants.js'
import { aborted, alreadyReplied, disconnected, safetyCatch, timeout as timeoutError, toError } from './errors.js'
import { spliceWires } from './relay.js'
import type { Answer, Handler, Plug, Reply, SendOptions, WireOptions } from './types.js'

const noop = (): void => {}
const PENDING = Symbol('pico.net.pending')
const PLUG = Symbol.for('picostack.net.plug')

/** Checks the message argument of every transmitter (bytes only, in memory as on the network). */
function checkMessage (message: unknown): TypeError | null {
  return message instanceof Uint8Array ? null : new TypeError(`"message" expected Uint8Array, got ${typeof message}`)
}

function timeoutOf (options: SendOptions | undefined, fallback: number): number {
  const t = options?.timeout ?? fallback
  if (typeof t !== 'number' || Number.isNaN(t) || t < 0) throw new RangeError(`"timeout" expected a non-negative number, got ${String(t)}`)
  return t
}

/**
 * One wait of a sender: for a reply (reply expected) or for delivery (no reply expected).
 * Settles exactly once; a failure also tells the answerer through its reply's `signal`.
 */
class Pending<T> {
  readonly promise: Promise<T>
  done = false
  delivered = false
  error: Error | null = null
  #resolve!: (value: T) => void
  #reject!: (err: Error) => void
  #core: WireCore
  #timer: ReturnType<typeof setTimeout> | undefined
  #signal: AbortSignal | undefined
  #onabort: (() => void) | undefined
  #hooks: Array<(err: Error) => void> | null = null
  #controller: AbortController | null = null

  constructor (core: WireCore, options: SendOptions | undefined, ms: number) {
    this.#core = core
    this.promise = new Promise<T>((resolve, reject) => { this.#resolve = resolve; this.#reject = reject })
    core.pendings.add(this as Pending<unknown>)
    if (ms > 0 && ms !== Infinity) this.#timer = setTimeout(() => this.fail(timeoutError(ms)), ms)
    const signal = options?.signal
    if (signal !== undefined) {
      if (signal.aborted) { this.fail(aborted(signal.reason)); return }
      this.#signal = signal
      this.#onabort = () => this.fail(aborted(signal.reason))
      signal.addEventListener('abort', this.#onabort, { once: true })
    }
  }

  #cleanup (): void {
    this.done = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    if (this.#onabort !== undefined) this.#signal?.removeEventListener('abort', this.#onabort)
    this.#core.pendings.delete(this as Pending<unknown>)
  }

  fulfil (value: T): boolean {
    if (this.done) return false
    this.#cleanup()
    this.#resolve(value)
    return true
  }

  fail (err: Error): boolean {
    if (this.done) return false
    this.#cleanup()
    this.error = err
    this.#reject(err)
    if (this.#hooks !== null) for (const hook of this.#hooks) hook(err)
    this.#controller?.abort(err)
    return true
  }

  /** Calls `hook` if this wait fails (the asker stopped waiting). */
  onAbandon (hook: (err: Error) => void): void {
    if (this.error !== null) { hook(this.error); return }
    if (this.done) return
    ;(this.#hooks ??= []).push(hook)
  }

  get signal (): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController()
      if (this.error !== null) this.#controller.abort(this.error)
    }
    return this.#controller.signal
  }
}

/** State shared by both ends of one wire. */
class WireCore {
  id: string | undefined
  readonly timeout: number
  closed = false
  readonly pendings: Set<Pending<unknown>> = new Set()
  readonly closedPromise: Promise<Error | null>
  resolveClosed!: (err: Error | null) => void

  constructor (options: WireOptions | undefined) {
    this.id = options?.id
    this.timeout = timeoutOf(options, DEFAULT_TIMEOUT)
    this.closedPromise = new Promise(resolve => { this.resolveClosed = resolve })
  }
}

/** Creates the transmitter that answers `pending` (the asker waits on it). */
function makeReply (core: WireCore, pending: Pending<Answer>): Reply {
  const reply = (message: Uint8Array, replyExpected?: boolean, options?: SendOptions): Promise<Answer | undefined> => {
    const bad = checkMessage(message)
    if (bad !== null) return Promise.reject(bad)
    if (core.closed) return Promise.reject(disconnected())
    if (pending.done) return Promise.reject(pending.error ?? alreadyReplied())
    if (replyExpected === true) {
      let next: Pending<Answer>
      try { next = new Pending<Answer>(core, options, timeoutOf(options, core.timeout)) } catch (err) { return Promise.reject(err) }
      pending.fulfil([message, makeReply(core, next)])
      return next.promise
    }
    pending.fulfil([message, null])
    return Promise.resolve(undefined)
  }
  const r = reply as unknown as { [PENDING]: Pending<Answer>, reject: (error: Error) => void }
  r[PENDING] = pending
  r.reject = (error: Error): void => { pending.fail(toError(error)) } // a closure: `.catch(reply.reject)` works
  Object.defineProperty(reply, 'signal', { get: signalOf })
  return reply as Reply
}

/** The `signal` getter shared by every reply function. */
function signalOf (this: { [PENDING]: Pending<Answer> }): AbortSignal { return this[PENDING].signal }

/**
 * Calls `hook(err)` when the asker that `reply` answers stops waiting (timeout, abort, close).
 * Relays use it to forget routes. @internal
 */
export function onAbandon (reply: Reply, hook: (err: Error) => void): void {
  const pending = (reply as unknown as { [PENDING]?: Pending<Answer> })[PENDING]
  pending?.onAbandon(hook)
}

class PlugImpl implements Plug {
  readonly #core: WireCore
  readonly #name: string
  #other!: PlugImpl
  #handler: Handler | null = null
  /** Deliveries waiting for this end's handler. */
  #inbox: Array<() => void> = []
  /** Resolves when the other end has a handler. */
  readonly #opened: Promise<void>
  #resolveOpened!: () => void
  #rejectOpened!: (err: Error) => void

  constructor (core: WireCore, name: string) {
    this.#core = core
    this.#name = name
    this.#opened = new Promise<void>((resolve, reject) => { this.#resolveOpened = resolve; this.#rejectOpened = reject })
    this.#opened.catch(noop) // a rejection nobody awaits must not crash the process
  }

  static pair (options: WireOptions | undefined): [PlugImpl, PlugImpl] {
    const core = new WireCore(options)
    const a = new PlugImpl(core, 'a')
    const b = new PlugImpl(core, 'b')
    a.#other = b
    b.#other = a
    return [a, b]
  }

  get [PLUG] (): true { return true }

  get id (): string | undefined { return this.#core.id }
  set id (value: string | undefined) {
    if (this.#core.id !== undefined) throw new TypeError(`"id" has already been set to ${this.#core.id}`)
    if (typeof value !== 'string') throw new TypeError(`"id" expected a string, got ${typeof value}`)
    this.#core.id = value
  }

  get other (): Plug { return this.#other }
  get opened (): Promise<void> { return this.#core.closed ? Promise.reject(disconnected()) : this.#opened }
  get closed (): Promise<Error | null> { return this.#core.closedPromise }
  get isActive (): boolean { return !this.#core.closed && this.#other.#handler !== null }
  get isClosed (): boolean { return this.#core.closed }

  /** True when `a` and `b` are ends of the same wire. @internal */
  static sameWire (a: Plug, b: Plug): boolean {
    return a instanceof PlugImpl && b instanceof PlugImpl && a.#core === b.#core
  }

  open (handler: Handler): Promise<Plug>
  open (plug: Plug): () => void
  open (target: Handler | Plug): Promise<Plug> | (() => void) {
    if (isPlug(target)) return spliceWires(this, target)
    if (typeof target !== 'function') throw new TypeError(`"handler" expected a function or a plug, got ${typeof target}`)
    if (this.#handler !== null) throw new TypeError(`this end (${this.#name}) already has a handler`)
    this.#handler = target
    if (!this.#core.closed) {
      this.#other.#resolveOpened()
      const inbox = this.#inbox
      this.#inbox = []
      if (inbox.length > 0) queueMicrotask(() => { for (const deliver of inbox) deliver() })
    }
    const opening = this.#opened.then(() => this)
    opening.catch(noop) // open() is often not awaited; its rejection must not crash the process
    return opening
  }

  postMessage (message: Uint8Array, replyExpected: true, options?: SendOptions): Promise<Answer>
  postMessage (message: Uint8Array, replyExpected?: false, options?: SendOptions): Promise<undefined>
  postMessage (message: Uint8Array, replyExpected?: boolean, options?: SendOptions): Promise<Answer | undefined>
  postMessage (message: Uint8Array, replyExpected?: boolean, options?: SendOptions): Promise<Answer | undefined> {
    const bad = checkMessage(message)
    if (bad !== null) return Promise.reject(bad)
    if (typeof replyExpected === 'function') return Promise.reject(new TypeError('"replyExpected" must be a boolean; the callback API does not exist'))
    const core = this.#core
    if (core.closed) return Promise.reject(disconnected())
    const expects = replyExpected === true
    let pending: Pending<Answer | undefined>
    try {
      pending = new Pending(core, options, expects ? timeoutOf(options, core.timeout) : 0)
    } catch (err) { return Promise.reject(err) }
    if (pending.done) return pending.promise
    this.#other.#enqueue(() => this.#other.#deliver(message, pending, expects))
    return pending.promise
  }

  #enqueue (deliver: () => void): void {
    if (this.#handler === null) this.#inbox.push(deliver)
    else queueMicrotask(deliver)
  }

  /** Runs on the receiving end. */
  #deliver (message: Uint8Array, pending: Pending<Answer | undefined>, expects: boolean): void {
    if (pending.done) return // timed out, aborted or closed before delivery
    const handler = this.#handler as Handler
    pending.delivered = true
    let reply: Reply | null = null
    if (expects) reply = makeReply(this.#core, pending as Pending<Answer>)
    else this.#core.pendings.delete(pending as Pending<unknown>) // delivered: closing no longer rejects it
    let result: void | Promise<void>
    try {
      result = handler(message, reply, this)
    } catch (err) {
      pending.fail(toError(err))
      return
    }
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(
        () => { if (!expects) pending.fulfil(undefined) },
        (err: unknown) => { if (!pending.fail(toError(err))) safetyCatch(err) }
      )
    } else if (!expects) {
      pending.fulfil(undefined)
    }
  }

  close (error?: Error): void {
    const core = this.#core
    if (core.closed) return
    if (error !== undefined && !(error instanceof Error)) throw new TypeError(`"error" expected an Error, got ${typeof error}`)
    core.closed = true
    const reason = error ?? disconnected()
    for (const pending of [...core.pendings]) pending.fail(pending.delivered ? reason : disconnected())
    for (const end of [this, this.#other]) {
      end.#inbox = []
      end.#rejectOpened(reason)
    }
    core.resolveClosed(error ?? null)
  }
}

/**
 * True when `value` is a plug made by this library.
 *
 * @param value - anything
 * @returns whether it is a {@link Plug}
 */
export function isPlug (value: unknown): value is Plug {
  return typeof value === 'object' && value !== null && (value as { [PLUG]?: unknown })[PLUG] === true
}

/** True when `a` and `b` are the two ends of one wire. @internal */
export const sameWire: (a: Plug, b: Plug) => boolean = PlugImpl.sameWire

/**
 * Creates an in-memory wire: a connected pair of plugs. What one end posts reaches the other
 * end's handler; each end is usable once the other end has opened (registered a handler).
 *
 * @param options - `id` label and default reply `timeout` (ms, default 30 000)
 * @returns the two ends `[a, b]`
 * @throws RangeError when `timeout` is negative or not a number
 * @example
 * ```ts
 * const [alice, bob] = picoWire()
 * alice.open(async (msg, reply) => {
 *   const [name, reply2] = await reply!(utf8('I am Alice, and you?'), true)
 *   await reply2!(utf8(`Cool, ${text(name)}! Bye~`))
 * })
 * await bob.open(() => {})
 * const [, reply1] = await bob.postMessage(utf8('who are you?'), true)
 * const [bye] = await reply1!(utf8('Bob'), true) // 'Cool, Bob! Bye~'
 * ```
 */
export function picoWire (options?: WireOptions): [Plug, Plug] {
  return PlugImpl.pair(options)
}
