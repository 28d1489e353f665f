// A per-store FIFO lock (the original shared one global mutex named `default` between stores).
// Waiting can be aborted with an AbortSignal; a task that started runs to its end.

/** Options of anything that may wait for the lock. */
export interface LockOptions {
  /** Abort waiting for the lock (the task does not run; the call rejects with the signal's reason). */
  signal?: AbortSignal | undefined
}

/** FIFO async lock: `run(fn)` waits for every earlier task, then runs `fn` alone. */
export class Lock {
  private _tail: Promise<void> = Promise.resolve()
  private _depth = 0

  /** Number of tasks running or waiting. */
  get pending (): number { return this._depth }

  /**
   * Runs `fn` once every earlier task has finished.
   *
   * @param fn - the task
   * @param opts - `signal` aborts the wait (not a task that already started)
   * @returns what `fn` returns
   * @throws the signal's reason when aborted while waiting
   */
  async run<T> (fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
    const { signal } = opts
    signal?.throwIfAborted()
    const prev = this._tail
    let release!: () => void
    this._tail = new Promise<void>(resolve => { release = resolve })
    this._depth++
    try {
      if (signal === undefined) await prev
      else {
        await new Promise<void>((resolve, reject) => {
          const onAbort = (): void => { reject(signal.reason) }
          signal.addEventListener('abort', onAbort, { once: true })
          prev.then(() => { signal.removeEventListener('abort', onAbort); resolve() }, reject)
        })
        // The previous task may finish in the same tick as the abort: honour the abort.
        signal.throwIfAborted()
      }
      return await fn()
    } finally {
      // An aborted waiter still releases only after its predecessor, keeping FIFO order.
      prev.then(release, release)
      this._depth--
    }
  }
}
