import { PicoError } from '../errors.js'

/**
 * Codes of {@link NuroError}:
 * - `MutationFailed`: the function given to `mute` rejected (cause: the rejection reason).
 * - `PromiseRejected`: the promise given to `when` rejected (cause: the reason).
 * - `Timeout`: `next`/`until` did not see the awaited value within `timeout` ms.
 * - `Aborted`: the `signal` given to `next`/`until`/`iter` was aborted (cause: its reason).
 */
export type NuroErrorCode = 'MutationFailed' | 'PromiseRejected' | 'Timeout' | 'Aborted'

/** The error delivered on a neuron's error channel and by the waiting helpers. */
export class NuroError extends PicoError<NuroErrorCode> {}

/** @internal */
export function mutationFailed (cause: unknown): NuroError {
  return new NuroError('MutationFailed', 'mute(): the mutation rejected', { cause })
}

/** @internal */
export function promiseRejected (cause: unknown): NuroError {
  return new NuroError('PromiseRejected', 'when(): the promise rejected', { cause })
}

/** @internal */
export function timedOut (what: string, ms: number): NuroError {
  return new NuroError('Timeout', `${what} timed out after ${ms} ms`)
}

/** @internal */
export function aborted (what: string, reason: unknown): NuroError {
  return new NuroError('Aborted', `${what} was aborted`, { cause: reason })
}
