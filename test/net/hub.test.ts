import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Hub, picoWire } from '../../src/net/index.js'
import type { Handler, Plug, Reply } from '../../src/net/index.js'
import { dec, enc } from './wire-conformance.js'

/** Opens `n` clients on the hub; each client's handler is `handler(i)`. Resolves when all joined. */
async function clients (hub: Hub, n: number, handler: (i: number) => Handler): Promise<Plug[]> {
  const plugs = Array.from({ length: n }, (_, i) => {
    const loose = hub.createWire(undefined, { id: `c${i}` })
    loose.open(handler(i))
    return loose
  })
  await Promise.all(plugs.map(p => p.opened))
  return plugs
}

const tick = (): Promise<void> => new Promise(resolve => setImmediate(resolve))

describe('Hub', () => {
  it('controller mode: every message reaches the controller with its node; count and onopen', async () => {
    const seen: string[] = []
    const opened: Plug[] = []
    const hub = new Hub({
      onmessage: async (msg, reply, node) => {
        seen.push(`${node.id}:${dec(msg)}`)
        await reply?.(enc(`ack ${dec(msg)}`))
      }
    })
    const loose = hub.createWire(node => opened.push(node), { id: 'x' })
    assert.equal(hub.count, 0)
    await loose.open(() => {})
    assert.equal(hub.count, 1)
    assert.equal(opened[0]?.id, 'x')
    const [ack] = await loose.postMessage(enc('hi'), true)
    assert.equal(dec(ack), 'ack hi')
    assert.deepEqual(seen, ['x:hi'])
    hub.close()
    await loose.closed
    assert.equal(hub.count, 0)
  })

  it('repeater mode: a message from one wire reaches every other wire, not its source', async () => {
    const hub = new Hub()
    const got: string[][] = [[], [], [], []]
    const plugs = await clients(hub, 4, i => msg => { got[i]?.push(dec(msg)) })
    await (plugs[3] as Plug).postMessage(enc('hello all'))
    assert.deepEqual(got, [['hello all'], ['hello all'], ['hello all'], []])
    hub.close()
  })

  it('repeater mode relays the first answer to a question, then the conversation continues', async () => {
    const hub = new Hub()
    const plugs = await clients(hub, 3, i => async (msg, reply) => {
      if (i === 0 || reply === null) return // client 0 asks; the others answer
      if (i === 1) await new Promise(resolve => setTimeout(resolve, 30)) // slower
      const [more, r2] = await reply(enc(`c${i} answers ${dec(msg)}`), true)
      await r2?.(enc(`c${i} got ${dec(more)}`))
    })
    const [answer, reply] = await (plugs[0] as Plug).postMessage(enc('q'), true)
    assert.equal(dec(answer), 'c2 answers q')
    const [last] = await (reply as Reply)(enc('more'), true)
    assert.equal(dec(last), 'c2 got more')
    hub.close()
  })

  it('repeater mode: a question nobody answers rejects NoAnswer', async () => {
    const hub = new Hub()
    const plugs = await clients(hub, 2, i => (_m, reply) => { if (i === 1) reply?.reject(new Error('no')) })
    await assert.rejects((plugs[0] as Plug).postMessage(enc('q'), true), { code: 'NoAnswer' })
    hub.close()
  })

  it('survey yields each answer once with abort, reply and node', async () => {
    const hub = new Hub({ onmessage: () => {} })
    const N = 10
    await clients(hub, N, i => async (msg, reply) => {
      await new Promise(resolve => setTimeout(resolve, Math.floor(Math.random() * 20)))
      await reply?.(enc(`${i}:${dec(msg)}`))
      await reply?.(enc('second')).catch(() => {}) // a second reply is refused, never yielded
    })
    const seen = new Set<string>()
    for await (const [msg, reply, node, abort] of hub.survey(enc('poll'))) {
      assert.equal(reply, null)
      assert.equal(typeof abort, 'function')
      assert.equal(dec(msg), `${(node.id as string).slice(1)}:poll`)
      seen.add(dec(msg))
    }
    assert.equal(seen.size, N)
    hub.close()
  })

  it('survey into conversation', async () => {
    const hub = new Hub({ onmessage: () => {} })
    await clients(hub, 3, i => async (_m, reply) => {
      const [m2, r2] = await (reply as Reply)(enc(`hello ${i}`), true)
      await (r2 as Reply)(enc(`${dec(m2)} back ${i}`))
    })
    const done: string[] = []
    for await (const [msg, reply] of hub.survey(enc('hi'))) {
      const [last] = await (reply as Reply)(enc(`re ${dec(msg)}`), true)
      done.push(dec(last))
    }
    assert.deepEqual(done.sort(), ['re hello 0 back 0', 're hello 1 back 1', 're hello 2 back 2'])
    hub.close()
  })

  it('survey skips a node that fails or closes before answering (allSettled), and reports it', async () => {
    const hub = new Hub({ onmessage: () => {} })
    const plugs = await clients(hub, 3, i => async (_m, reply) => {
      if (i === 0) { plugs[0]?.close(new Error('gone')); return }
      if (i === 1) throw new Error('broken')
      await reply?.(enc('fine'))
    })
    const failed: string[] = []
    const items = await hub.broadcast(enc('q'), true, { onerror: (node, err) => failed.push(`${node.id}:${err.message}`) })
    assert.deepEqual(items.map(([m]) => dec(m)), ['fine'])
    assert.deepEqual(failed.sort(), ['c0:gone', 'c1:broken'])
    hub.close()
  })

  it('survey abort ends it and aborts the outstanding waits; filters exclude by plug and id', async () => {
    const hub = new Hub({ onmessage: () => {} })
    const held: Reply[] = []
    const plugs = await clients(hub, 4, i => async (_m, reply) => {
      if (i === 0) await reply?.(enc('quick'))
      else held.push(reply as Reply)
    })
    const nodes = hub.nodes
    const items = []
    for await (const item of hub.survey(enc('q'), { filter: [nodes[3] as Plug, 'c2'] })) {
      items.push(item)
      item[3]() // abort
    }
    assert.equal(items.length, 1)
    assert.equal(held.length, 1) // c1 only: c2 and c3 were filtered out
    await tick()
    assert.equal(held[0]?.signal.aborted, true)
    const ac = new AbortController()
    const iter = hub.survey(enc('q'), { filter: nodes[0] as Plug, signal: ac.signal })
    const next = iter.next()
    ac.abort()
    assert.equal((await next).done, true)
    assert.equal(plugs.every(p => !p.isClosed), true)
    hub.close()
  })

  it('broadcast without reply resolves with the nodes reached', async () => {
    const hub = new Hub({ onmessage: () => {} })
    const got: number[] = []
    await clients(hub, 3, i => () => { got.push(i) })
    const reached = await hub.broadcast(enc('news'), false, { filter: 'c1' })
    assert.deepEqual(reached.map(n => n.id).sort(), ['c0', 'c2'])
    assert.deepEqual(got.sort(), [0, 2])
    hub.close()
  })

  it('disconnect closes the wire and calls onclose once; unknown nodes return false', async () => {
    const left: Array<[string | undefined, Error | null]> = []
    const hub = new Hub({ onmessage: () => {}, onclose: (node, err) => left.push([node.id, err]) })
    const [p0, p1] = await clients(hub, 2, () => () => {})
    const err = new Error('bye')
    assert.equal(hub.disconnect('c0', err), true)
    assert.equal(await (p0 as Plug).closed, err)
    assert.equal(hub.disconnect(hub.nodes[0] as Plug), true)
    await (p1 as Plug).closed
    assert.equal(hub.disconnect('c0'), false)
    assert.equal(hub.disconnect(picoWire()[0]), false)
    assert.deepEqual(left, [['c0', err], ['c1', null]])
    assert.equal(hub.count, 0)
  })

  it('a loose end never opened is closed with NodeTimedout and its timer cleared', async () => {
    const hub = new Hub({ onmessage: () => {}, openTimeout: 20 })
    const loose = hub.createWire()
    const err = await loose.closed
    assert.equal((err as { code?: string }).code, 'NodeTimedout')
    const loose2 = hub.createWire()
    loose2.close() // closing clears the timer: the test process would otherwise stay up 20 ms, not fail
    await loose2.closed
    assert.equal(hub.count, 0)
  })

  it('onopen throwing closes that wire with the error', async () => {
    const hub = new Hub({ onmessage: () => {} })
    const loose = hub.createWire(() => { throw new Error('refused') })
    loose.open(() => {})
    assert.equal((await loose.closed)?.message, 'refused')
    assert.equal(hub.count, 0)
  })
})
