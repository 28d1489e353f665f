// Loading a scenario module (TypeScript through tsx, no build step; JavaScript as it is) and
// playing it: the CLI and every worker of a parallel run do both the same way.
import { pathToFileURL } from 'node:url'
import { SimError } from './errors.js'
import type { RunResult, Simulator } from './simulator.js'

/** A scenario: the default export of a scenario file. */
export type Scenario = (sim: Simulator) => unknown

/**
 * Imports the scenario file at `path` (absolute) and returns its default export.
 * @internal
 * @throws SimError `BadScenario` when it fails to load or exports no function
 */
export async function importScenario (path: string, name: string = path): Promise<Scenario> {
  let mod: { default?: unknown }
  try {
    if (/\.[cm]?tsx?$/.test(path)) {
      let api: { tsImport: (specifier: string, parent: string) => Promise<unknown> }
      try {
        api = await import('tsx/esm/api') as typeof api
      } catch {
        throw new SimError('BadScenario', `BadScenario: loading a TypeScript scenario needs tsx (npm install tsx), or compile ${name} to JavaScript`)
      }
      mod = await api.tsImport(pathToFileURL(path).href, import.meta.url) as { default?: unknown }
    } else {
      mod = await import(pathToFileURL(path).href) as { default?: unknown }
    }
  } catch (e) {
    if (e instanceof SimError) throw e
    throw new SimError('BadScenario', `BadScenario: ${name} failed to load: ${(e as Error).message}`, { cause: e })
  }
  const fn = mod.default
  if (typeof fn !== 'function') throw new SimError('BadScenario', `BadScenario: ${name} must default-export a function of the simulator`)
  return fn as Scenario
}

/**
 * Plays `scenario` on `sim`, then runs the simulation if the scenario did not.
 * @internal
 * @returns what `sim.run()` resolved to
 * @throws SimError from the run; `ScenarioFailed` when the scenario throws anything else
 */
export async function playScenario (scenario: Scenario, sim: Simulator): Promise<RunResult> {
  let result: RunResult | undefined
  const run = sim.run.bind(sim)
  sim.run = async opts => (result = await run(opts))
  try {
    await scenario(sim)
  } catch (e) {
    if (e instanceof SimError) throw e
    throw new SimError('ScenarioFailed', `ScenarioFailed: the scenario threw: ${(e as Error)?.message ?? String(e)}`, { cause: e })
  }
  return result ?? await sim.run()
}
