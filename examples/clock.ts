// blockend.ts: the clock kernel of the picostack README (SEED.txt), in TypeScript.
import { SimpleKernel, type KernelDb } from '../src/index.js'; import { MemoryLevel } from 'memory-level'; const memdown = (): KernelDb => new MemoryLevel()
const { decodeBlock } = SimpleKernel

class Kernel extends SimpleKernel {
  constructor (db: KernelDb) {
    super(db)
    // Register reducer - see picostore docs
    this.store.register({
      name: 'clock', // slice name
      initialValue: 0, // initial state
      filter ({ block }) { // network-consensus
        const { type, time } = decodeBlock(block.body)
        if (type !== 'tick') return true // silent ignore
        if ((time as number) > Date.now()) return 'TimestampFromFuture'
      },
      reducer ({ block }) { // mutate state
        const { time } = decodeBlock(block.body)
        return time as number
      }
    })
  }

  // Create action
  async createTick (): Promise<Uint8Array> {
    const feed = await this.createBlock(
      'tick', // BlockType:string
      { time: Date.now() } // Payload:any
    )
    return feed.last!.sig // block-id
  }
}

async function main (): Promise<void> {
  // Spawn 2 peers
  const alice = new Kernel(memdown())
  await alice.boot()
  const bob = new Kernel(memdown())
  await bob.boot()

  // Attach state-observers
  alice.store.on('clock', state => console.log('Alice:', state))
  bob.store.on('clock', state => console.log('Bob:', state))

  // Wire up
  alice.spawnWire().open(bob.spawnWire())

  await alice.createTick()
  // Both kernels logs new state
}

main().catch(err => { console.error(err); process.exitCode = 1 })
