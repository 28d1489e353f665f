// A simulated swarm of the app: honest peers add tasks and move them, one peer runs no rules
// and signs a task with an invalid status. In virtual time, with latency, over Modem56:
//   npm run sim                       (30 peers; writes sim-report.html)
//   npx picostack sim sim/tasks.ts --seed 7 --report out.html
import { Modem56 } from 'picostack/modem'
import type { RunResult, Simulator } from 'picostack/sim'
import { STATUSES, TaskKernel } from '../src/blockend/tasks'
import { Cheater } from './cheater'

/** The swarm topic the peers meet on. */
export const TOPIC = '__APP_NAME__'

/** Sizes of the scenario. */
export interface TasksParams {
  /** Honest peers (default 30). */
  peers?: number
  /** Tasks each honest peer adds (default 3). */
  tasks?: number
  /** Receives each honest peer's kernel (to inspect it after the run). */
  onkernel?: (kernel: TaskKernel) => void
}

/** Runs the scenario and returns the simulator's result. */
export async function tasks (sim: Simulator, { peers = 30, tasks = 3, onkernel }: TasksParams = {}): Promise<RunResult> {
  for (let i = 0; i < peers; i++) {
    sim.launch('peer', { latency: [20, 120], at: i * 100 }, async peer => {
      const kernel = new TaskKernel(peer.db(), { secret: peer.secret })
      await kernel.boot()
      peer.watch(kernel)
      onkernel?.(kernel)
      // Each refused block becomes a `rejected` event in the log and the report.
      kernel.store.tap(e => { if (e.event === 'rejected') peer.signal('rejected', { reason: e.reason }) })
      const modem = new Modem56(peer.Swarm, peer.swarmOptions)
      peer.onstop(async () => { await modem.destroy(); await kernel.halt() })
      await modem.join(TOPIC, () => kernel.spawnWire())
      for (let n = 0; n < tasks; n++) {
        peer.setTimeout(() => {
          kernel.addTask(`task ${n + 1} of peer ${peer.id}`).then(id => {
            const status = STATUSES[Math.floor(peer.random() * STATUSES.length)] ?? 'done'
            peer.setTimeout(() => { kernel.setStatus(id, status).catch(err => peer.signal('failed', { message: String(err) })) }, 1000 + peer.random() * 5000)
          }, err => peer.signal('failed', { message: String(err) }))
        }, 500 + peer.random() * 20_000)
      }
      peer.ontick(() => ({ tasks: Object.keys(kernel.tasks.state).length }))
    })
  }
  sim.launch('cheater', { honest: false, at: 1000 }, async peer => {
    const kernel = new Cheater(peer.db(), { secret: peer.secret })
    await kernel.boot()
    const modem = new Modem56(peer.Swarm, peer.swarmOptions)
    peer.onstop(async () => { await modem.destroy(); await kernel.halt() })
    await kernel.createBlock('tasks', { op: 'add', title: 'free pizza', status: 'urgent' })
    await modem.join(TOPIC, () => kernel.spawnWire())
  })
  return await sim.run({ until: '10m' })
}

export default async function (sim: Simulator): Promise<void> {
  await tasks(sim)
}
