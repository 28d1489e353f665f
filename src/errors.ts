// The brand of every PicoError, shared by all copies of the library.
const BRAND = Symbol.for('picostack.error')

/**
 * The base of every typed error the kit throws. `code` is a stable string that is
 * part of the API (each component's README lists its codes); messages may change.
 *
 * @example
 * ```ts
 * try { Feed.from(bytes) } catch (err) {
 *   if (isPicoError(err) && err.code === 'SignatureVerificationFailed') dropPeer()
 * }
 * ```
 */
export class PicoError<C extends string = string> extends Error {
  /** Stable machine-readable error code. */
  readonly code: C

  /**
   * Creates an error with a stable code.
   *
   * @param code - the stable code
   * @param message - human-readable detail (defaults to the code)
   * @param options - `cause` when wrapping another error
   */
  constructor (code: C, message?: string, options?: { cause?: unknown }) {
    super(message ?? code, options)
    this.code = code
    this.name = new.target.name
  }
}

Object.defineProperty(PicoError.prototype, BRAND, { value: true })

/**
 * True when `err` is a {@link PicoError}, optionally with the given code. Works across
 * copies of the library: it checks the `Symbol.for('picostack.error')` brand every PicoError
 * carries, not the prototype chain. Other errors with a string `code` (Node's `ECONNRESET`,
 * abstract-level's `LEVEL_*`) are not PicoErrors.
 *
 * @param err - anything caught
 * @param code - the code to match, when given
 * @returns whether `err` is a PicoError (with that code)
 */
export function isPicoError (err: unknown, code?: string): err is PicoError {
  if (typeof err !== 'object' || err === null || (err as Record<symbol, unknown>)[BRAND] !== true) return false
  const c = (err as { code?: unknown }).code
  return typeof c === 'string' && (code === undefined || c === code)
}
