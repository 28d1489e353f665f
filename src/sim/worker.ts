// A worker thread of a parallel run: loads the scenario, runs it with a simulator that runs
// every n-th peer here and replays the network of all, and trades window edges with the
// coordinator (parallel.ts) through its port.
import { parentPort, workerData } from 'node:worker_threads'
import type { MessagePort } from 'node:worker_threads'
import { importScenario, playScenario } from './load.js'
import { Simulator } from './simulator.js'
import type { RunResult, SimulatorOptions } from './simulator.js'
import type { FinalOut, ShardLink, WindowIn, WindowOut } from './shard.js'
import type { SimError } from './errors.js'

/** What the coordinator hands a worker. @internal */
export interface WorkerData {
  file: string
  index: number
  count: number
  options: Pick<SimulatorOptions, 'seed' | 'until' | 'interval' | 'lookupDelay' | 'epoch'>
}

/** The worker's end of the coordinator: one message out, one answer back, at each edge. */
class PortLink implements ShardLink {
  readonly index: number
  readonly count: number
  readonly #port: MessagePort
  #waiting: ((msg: unknown) => void) | null = null

  constructor (port: MessagePort, index: number, count: number) {
    this.#port = port
    this.index = index
    this.count = count
    port.on('message', (msg: unknown) => {
      const w = this.#waiting
      this.#waiting = null
      w?.(msg)
    })
  }

  #ask<T> (msg: { type: string, out: unknown }, transfer: ArrayBuffer[]): Promise<T> {
    return new Promise<T>(resolve => {
      this.#waiting = m => resolve(m as T)
      this.#port.postMessage(msg, transfer)
    })
  }

  exchange (out: WindowOut): Promise<WindowIn> {
    const transfer: ArrayBuffer[] = []
    for (const p of out.parcels) if (p !== null) transfer.push(p.meta.buffer as ArrayBuffer, p.bytes.buffer as ArrayBuffer)
    return this.#ask<WindowIn>({ type: 'window', out }, transfer)
  }

  finish (out: FinalOut): Promise<RunResult> {
    return this.#ask<RunResult>({ type: 'final', out }, [])
  }
}

async function main (port: MessagePort, data: WorkerData): Promise<void> {
  try {
    const scenario = await importScenario(data.file)
    await playScenario(scenario, new Simulator({ ...data.options, shard: new PortLink(port, data.index, data.count) }))
    port.postMessage({ type: 'done' })
  } catch (e) {
    const err = e as SimError
    port.postMessage({ type: 'error', code: err.code ?? 'ScenarioFailed', message: err.message })
  }
}

if (parentPort !== null) await main(parentPort, workerData as WorkerData)
