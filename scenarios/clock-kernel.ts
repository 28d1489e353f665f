// The clock kernel of the seed (examples/clock.ts): one collection holding a time, where ticks
// from the future are refused. The seed's reducer returns the time of the last tick *applied*,
// so two peers that receive concurrent ticks in different orders end with different states:
// the simulator finds this at once (run scenarios/partition.ts with `{ seedReducer: true }`:
// heads converge, state convergence stays at 0.5). Here the reducer keeps the latest time
// (a max register), which every order of the same ticks agrees on.
import { SimpleKernel } from '../src/kernel/index.js'
import type { KernelDb, KernelOptions } from '../src/kernel/index.js'

const { decodeBlock } = SimpleKernel

/** The seed's clock kernel. */
export class ClockKernel extends SimpleKernel {
  /** @param seedReducer - use the seed's order-dependent reducer (last applied tick wins) */
  constructor (db: KernelDb, opts?: KernelOptions, seedReducer = false) {
    super(db, opts)
    this.store.register({
      name: 'clock',
      initialValue: 0,
      filter ({ block }) {
        const { type, time } = decodeBlock(block.body)
        if (type !== 'tick') return true
        if ((time as number) > Date.now()) return 'TimestampFromFuture'
      },
      reducer ({ block, state }) {
        const { time } = decodeBlock(block.body)
        return seedReducer ? time as number : Math.max(state as number, time as number)
      }
    })
  }

  /** Creates a tick block stamped with the peer's clock. */
  async createTick (): Promise<Uint8Array> {
    const feed = await this.createBlock('tick', { time: Date.now() })
    return (feed.last as { sig: Uint8Array }).sig
  }
}
