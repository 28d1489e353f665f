import { PicoError } from '../errors.js'

/**
 * Stable codes of {@link SimError}.
 *
 * - `BadOption`: an option of the simulator, a launch, a fault or `run()` is not valid.
 * - `Running`: `run()` called while a run is in progress, or `launch` after the run ended.
 * - `PeerInitFailed`: a peer's init function threw or rejected (the message names the peer).
 * - `ScenarioFailed`: the scenario function threw or rejected.
 * - `NotConverged`: the run reached `until` without every honest peer holding every block.
 * - `BadScenario`: a scenario file could not be read or does not default-export a function.
 */
export type SimErrorCode =
  | 'BadOption'
  | 'Running'
  | 'PeerInitFailed'
  | 'ScenarioFailed'
  | 'NotConverged'
  | 'BadScenario'

/**
 * The error class of `picostack/sim`; `code` says what happened.
 *
 * @example
 * ```ts
 * try { await sim.run({ until: '5m' }) } catch (err) {
 *   if (err instanceof SimError && err.code === 'PeerInitFailed') console.error(err.message)
 * }
 * ```
 */
export class SimError extends PicoError<SimErrorCode> {}

/** @internal */
export const simError = (code: SimErrorCode, detail?: string, cause?: unknown): SimError =>
  new SimError(code, detail === undefined ? code : `${code}: ${detail}`, cause === undefined ? undefined : { cause })
