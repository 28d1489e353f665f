// Loading a scenario module: TypeScript through tsx (no build step), JavaScript as it is.
import { pathToFileURL } from 'node:url'
import { SimError } from './errors.js'
import type { Simulator } from './simulator.js'

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
