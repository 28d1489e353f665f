// Runs in Chromium: the seed's clock kernel, alice on IndexedDB (the browser default for a
// named location) and bob in memory, wired together; then alice reboots on the same
// IndexedDB database and keeps her identity and state.
import { SimpleKernel } from '../../src/index.js'

const { decodeBlock } = SimpleKernel

class Clock extends SimpleKernel {
  constructor (db?: string) {
    super(db)
    this.store.register({
      name: 'clock',
      initialValue: 0,
      filter ({ block }) {
        const { type } = decodeBlock(block.body)
        if (type !== 'tick') return true
      },
      reducer ({ block }) {
        return decodeBlock(block.body).time as number
      }
    })
  }
}

/** What the page reports. */
export interface Output {
  hasBuffer: string
  bobSaw: number
  alicePk: string
  rebootPk: string
  rebootClock: number
}

/** Runs the scenario. */
export async function run (): Promise<Output> {
  const name = 'picostack-kernel-test-' + Math.random().toString(36).slice(2)
  const alice = new Clock(name)
  const bob = new Clock()
  await alice.boot()
  await bob.boot()
  const seen = new Promise<number>(resolve => {
    bob.store.on('clock', (v: unknown) => { if (v === 1234) resolve(v) })
  })
  alice.spawnWire().open(bob.spawnWire())
  await alice.createBlock('tick', { time: 1234 })
  const bobSaw = await seen
  const alicePk = alice.pk
  await alice.halt()
  await bob.halt()
  const again = new Clock(name)
  await again.boot()
  const rebootClock = await new Promise<number>(resolve => again.store.on('clock', (v: unknown) => resolve(v as number)))
  const out = { hasBuffer: typeof (globalThis as { Buffer?: unknown }).Buffer, bobSaw, alicePk, rebootPk: again.pk, rebootClock }
  await again.halt()
  return out
}
