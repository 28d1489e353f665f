// A peer's block that the application rejects with a reason that starts like a built-in code
// is not taken for a forged block: the kernel keeps the connection (it branches on the code).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Memory, type ComputeContext, type StoreEvent } from '../../src/store/index.js'
import { get } from '../../src/nuro/index.js'
import { signPair } from '../../src/feed/index.js'
import { Counter, connections, until } from './helpers.js'

class Spoofer extends Memory<number> {
  override initialValue = 0
  override compute (_v: number, { reject }: ComputeContext): ReturnType<ComputeContext['reject']> {
    return reject('SignatureVerificationFailed: haha')
  }
}
class Open extends Memory<number> {
  override initialValue = 0
  override compute (v: number): number { return v + 1 }
}
class Victim extends Counter {
  constructor () { super(); this.store.register('evil', Spoofer) }
}
class Sender extends Counter {
  constructor () { super(); this.store.register('evil', Open) }
}

test('an application rejection with reason "SignatureVerificationFailed: haha" is not a forged block', { timeout: 20_000 }, async () => {
  const victim = new Victim()
  const sender = new Sender()
  await Promise.all([victim.boot(), sender.boot()])
  try {
    const rejected = new Promise<StoreEvent>(resolve => {
      const off = victim.store.tap(e => { if (e.event === 'rejected') { off(); resolve(e) } })
    })
    await sender.createBlock('evil', 1)
    const up = connections(victim, 1)
    sender.spawnWire().open(victim.spawnWire())
    await up
    const e = await rejected
    assert.ok(e.event === 'rejected')
    assert.equal(e.code, 'Rejected')
    assert.equal(e.reason, 'SignatureVerificationFailed: haha')
    // The connection survived: a later block of another chain still arrives over it.
    const other = signPair()
    await sender.store.createBlock('x', 5, other.sk)
    await until([victim], k => k.x[other.pk] === 5)
    assert.equal(get(victim.$connections())?.length, 1)
  } finally {
    await Promise.all([victim.halt(), sender.halt()])
  }
})
