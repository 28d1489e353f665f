import { DEFAULT_TIMEOUT } from './constants.js'
import { aborted, alreadyReplied, disconnected, safetyCatch, toError } from './errors.js'
import { clock, schedule, unschedule } from './timers.js'
import type { Timed, TimerList } from './timers.js'
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

/** Shared `signal` getter and `reject` of every reply function (no property definitions per reply). */
const replyPrototype: object = Object.create(Function.prototype, {
  signal: { get (this: { [PENDING]: Pending<Answer> }): AbortSignal { return this[PENDING].signal } },
  reject: { get (this: { [PENDING]: Pending<Answer> }): (error: Error) => void { return this[PENDING].rejecter } }
})

/**
 * One wait of a sender: for a reply (reply expected) or for delivery (no reply expected).
 * Settles exactly once; a failure also tells the answerer through its reply's `signal`.
 */
class Pending<T> {
  /** The asker's promise; null when a {@link AnswerSink} takes the outcome instead. */
  readonly promise: Promise<T> | null = null
  readonly #sink: AnswerSink | null
  readonly #tag: number
  done = false
  delivered = false
  error: Error | null = null
  #resolve!: (value: T) => void
  #reject!: (err: Error) => void
  readonly core: WireCore
  /** Reply timeout (ms) and its deadline on {@link clock}; 0 / Infinity = untimed. */
  ms = 0
  deadline = Infinity
  /** Links of the timer list this wait is on (null when untimed or settled). */
  timerList: TimerList | null = null
  timerPrev: Timed | null = null
  timerNext: Timed | null = null
  /** Links of the wire's list of waits that closing fails; `listed` while on it. */
  listed = false
  prev: Pending<unknown> | null = null
  next: Pending<unknown> | null = null
  #signal: AbortSignal | undefined
  #onabort: (() => void) | undefined
  #hooks: Array<(err: Error) => void> | null = null
  #controller: AbortController | null = null
  #rejecter: ((error: Error) => void) | null = null

  constructor (core: WireCore, options: SendOptions | undefined, ms: number, sink: AnswerSink | null = null, tag = 0) {
    this.core = core
    this.#sink = sink
    this.#tag = tag
    if (sink === null) this.promise = new Promise<T>((resolve, reject) => { this.#resolve = resolve; this.#reject = reject })
    core.add(this as Pending<unknown>)
    if (ms > 0 && ms !== Infinity) { this.ms = ms; this.deadline = clock() + ms; schedule(this) }
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
    if (this.timerList !== null) unschedule(this)
    if (this.#onabort !== undefined) this.#signal?.removeEventListener('abort', this.#onabort)
    this.core.remove(this as Pending<unknown>)
  }

  fulfil (value: T): boolean {
    if (this.done) return false
    this.#cleanup()
    if (this.#sink !== null) this.#sink.answered(value as Answer, this.#tag)
    else this.#resolve(value)
    return true
  }

  fail (err: Error): boolean {
    if (this.done) return false
    this.#cleanup()
    this.error = err
    if (this.#sink !== null) this.#sink.failed(err, this.#tag)
    else this.#reject(err)
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

  /** The reply's `reject`, one closure per wait (so `.catch(reply.reject)` works). */
  get rejecter (): (error: Error) => void {
    return (this.#rejecter ??= (error: Error): void => { this.fail(toError(error)) })
  }
}

/** State shared by both ends of one wire. */
class WireCore {
  id: string | undefined
  readonly timeout: number
  closed = false
  /** Head of the intrusive list of waits that closing the wire fails. */
  first: Pending<unknown> | null = null
  readonly closedPromise: Promise<Error | null>
  resolveClosed!: (err: Error | null) => void

  constructor (options: WireOptions | undefined) {
    this.id = options?.id
    this.timeout = timeoutOf(options, DEFAULT_TIMEOUT)
    this.closedPromise = new Promise(resolve => { this.resolveClosed = resolve })
  }

  add (p: Pending<unknown>): void {
    p.listed = true
    p.next = this.first
    if (this.first !== null) this.first.prev = p
    this.first = p
  }

  remove (p: Pending<unknown>): void {
    if (!p.listed) return
    p.listed = false
    if (p.prev === null) this.first = p.next
    else p.prev.next = p.next
    if (p.next !== null) p.next.prev = p.prev
    p.prev = p.next = null
  }

  /** The waits that closing fails, in a snapshot. */
  waits (): Array<Pending<unknown>> {
    const out: Array<Pending<unknown>> = []
    for (let p = this.first; p !== null; p = p.next) out.push(p)
    return out
  }
}

/** Creates the transmitter that answers `pending` (the asker waits on it). */
function makeReply (core: WireCore, pending: Pending<Answer>): Reply {
  const reply = Object.setPrototypeOf((message: Uint8Array, replyExpected?: boolean, options?: SendOptions): Promise<Answer | undefined> => {
    const bad = checkMessage(message)
    if (bad !== null) return Promise.reject(bad)
    let next
    try { next = answer(core, pending, message, replyExpected === true, options, null, 0) } catch (err) { return Promise.reject(err) }
    return next === null ? Promise.resolve(undefined) : next.promise as Promise<Answer>
  }, replyPrototype) as Reply & { [PENDING]: Pending<Answer> }
  reply[PENDING] = pending
  return reply
}

/** Answers `pending` with `message`; returns the wait for the next reply, if one is expected. */
function answer (core: WireCore, pending: Pending<Answer>, message: Uint8Array, expects: boolean, options: SendOptions | undefined, sink: AnswerSink | null, tag: number): Pending<Answer> | null {
  if (core.closed) throw disconnected()
  if (pending.done) throw pending.error ?? alreadyReplied()
  if (expects) {
    const next = new Pending<Answer>(core, options, timeoutOf(options, core.timeout), sink, tag)
    pending.fulfil([message, makeReply(core, next)])
    return next
  }
  pending.fulfil([message, null])
  return null
}

/**
 * Receives the outcome of a wait synchronously, instead of through a promise (transports use it
 * to skip promise hops on the hot path). `tag` is the number given with the wait. @internal
 */
export interface AnswerSink {
  answered (answer: Answer, tag: number): void
  failed (error: Error, tag: number): void
}

/**
 * Like `reply(message, expects, options)` but with no promise: the next answer (when `expects`)
 * goes to `sink` with `tag`. @internal
 * @throws what `reply` would reject with (closed wire, already answered, bad timeout)
 */
export function replyTo (reply: Reply, message: Uint8Array, expects: boolean, options: SendOptions | undefined, sink: AnswerSink, tag: number): void {
  const pending = (reply as unknown as { [PENDING]: Pending<Answer> })[PENDING]
  answer(pending.core, pending, message, expects, options, sink, tag)
}

/**
 * Like `plug.postMessage(message, true, options)` but with no promise: the answer or failure
 * goes to `sink` with `tag`. Does nothing when the wire is closed. @internal
 */
export function postTo (plug: Plug, message: Uint8Array, options: SendOptions | undefined, sink: AnswerSink, tag: number): void {
  if (!plug.isClosed) (plug as PlugImpl).post(message, true, options, sink, tag)
}

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
    let pending: Pending<Answer | undefined>
    try {
      pending = this.post(message, replyExpected === true, options, null, 0)
    } catch (err) { return Promise.reject(err) }
    return pending.promise as Promise<Answer | undefined>
  }

  /** Posts on an open wire without argument checks; the outcome goes to the wait's promise or `sink`. @internal */
  post (message: Uint8Array, expects: boolean, options: SendOptions | undefined, sink: AnswerSink | null, tag: number): Pending<Answer | undefined> {
    const core = this.#core
    const pending = new Pending<Answer | undefined>(core, options, expects ? timeoutOf(options, core.timeout) : 0, sink, tag)
    if (pending.done) return pending
    const other = this.#other
    if (other.#handler === null) other.#inbox.push(() => other.#deliver(message, pending, expects))
    else queueMicrotask(() => other.#deliver(message, pending, expects))
    return pending
  }

  /** Runs on the receiving end. */
  #deliver (message: Uint8Array, pending: Pending<Answer | undefined>, expects: boolean): void {
    if (pending.done) return // timed out, aborted or closed before delivery
    const handler = this.#handler as Handler
    pending.delivered = true
    let reply: Reply | null = null
    if (expects) reply = makeReply(this.#core, pending as Pending<Answer>)
    else this.#core.remove(pending as Pending<unknown>) // delivered: closing no longer rejects it
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
    for (const pending of core.waits()) pending.fail(pending.delivered ? reason : disconnected())
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
