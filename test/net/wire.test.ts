// Behaviours of the in-memory wire and splices beyond the transport contract (spec/net.md §6).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isPlug, picoWire, spliceWires } from '../../src/net/index.js'
import type { Reply , NetError} from '../../src/net/index.js'
import { dec, deferred, enc } from './wire-conformance.js'

describe('picoWire', () => {
  it('a fresh wire: inactive until the other end opens; handler gets [msg, null, plug]', async () => {
    const [a, b] = picoWire({ id: 'w1' })
    assert.equal(a.isActive, false)
    assert.equal(b.isActive, false)
    assert.equal(a.id, 'w1')
    assert.equal(a.other, b)
    assert.ok(isPlug(a))
    assert.equal(isPlug({}), false)
    const got = deferred<[string, unknown, unknown]>()
    const opening = b.open((msg, reply, plug) => got.resolve([dec(msg), reply, plug]))
    await a.opened
    assert.equal(a.isActive, true)
    assert.equal(b.isActive, false)
    await a.postMessage(enc('Hello'))
    assert.deepEqual(await got.promise, ['Hello', null, b])
    a.open(() => {})
    assert.equal(await opening, b)
    a.close()
    assert.equal(await a.closed, null)
    assert.equal(a.isActive || b.isActive, false)
    await assert.rejects(a.opened, { code: 'Disconnected' })
  })

  it('messages posted before the other end opens wait and arrive in order', async () => {
    const [a, b] = picoWire()
    const sent = [a.postMessage(enc('1')), a.postMessage(enc('2'))]
    const got: string[] = []
    b.open(msg => { got.push(dec(msg)) })
    await Promise.all(sent)
    assert.deepEqual(got, ['1', '2'])
  })

  it('a send posted and closed in the same tick rejects Disconnected; closed resolves with the error', async () => {
    const [a, b] = picoWire()
    b.open(() => {})
    a.open(() => {})
    const p = a.postMessage(enc('x'), true)
    const err = new Error('test')
    a.close(err)
    await assert.rejects(p, { code: 'Disconnected' })
    assert.equal(await a.closed, err)
    assert.equal(await b.closed, err)
    a.close() // idempotent
    assert.equal(await b.closed, err)
  })

  it('a no-reply send resolves when the handler settles and rejects with its error', async () => {
    const [a, b] = picoWire()
    const gate = deferred()
    let done = false
    b.open(async msg => {
      await gate.promise
      done = true
      if (dec(msg) === 'bad') throw new Error('bad message')
    })
    a.open(() => {})
    const p = a.postMessage(enc('ok'))
    gate.resolve()
    await p
    assert.equal(done, true)
    await assert.rejects(a.postMessage(enc('bad')), /bad message/)
  })

  it('a reply is used once; its signal aborts when the asker stops waiting', async () => {
    const [a, b] = picoWire()
    const got = deferred<Reply>()
    b.open((_m, reply) => { got.resolve(reply as Reply) })
    a.open(() => {})
    const p = a.postMessage(enc('q'), true, { timeout: 20 })
    const reply = await got.promise
    assert.equal(reply.signal.aborted, false)
    await assert.rejects(p, { code: 'Timeout' })
    assert.equal(reply.signal.aborted, true)
    assert.equal((reply.signal.reason as NetError).code, 'Timeout')
    await assert.rejects(reply(enc('late')), { code: 'Timeout' })

    const got2 = deferred<Reply>()
    b.other.close() // a === b.other: closing from either end closes the wire
    const [c, d] = picoWire()
    d.open((_m, r) => { got2.resolve(r as Reply) })
    c.open(() => {})
    const p2 = c.postMessage(enc('q'), true)
    const r2 = await got2.promise
    await r2(enc('once'))
    assert.equal(dec((await p2)[0]), 'once')
    await assert.rejects(r2(enc('twice')), { code: 'AlreadyReplied' })
  })

  it('caller mistakes are TypeError/RangeError', async () => {
    const [a, b] = picoWire()
    b.open(() => {})
    assert.throws(() => b.open(() => {}), TypeError)
    assert.throws(() => a.open(42 as never), TypeError)
    assert.throws(() => { a.id = 'x'; a.id = 'y' }, TypeError)
    await assert.rejects(a.postMessage(enc('x'), (() => {}) as never), TypeError)
    await assert.rejects(a.postMessage(enc('x'), true, { timeout: -1 }), RangeError)
    assert.throws(() => picoWire({ timeout: Number.NaN }), RangeError)
    assert.throws(() => a.close('nope' as never), TypeError)
  })

  it('a wire timeout applies to every reply-expected send; 0 disables it', async () => {
    const [a, b] = picoWire({ timeout: 10 })
    b.open(() => {})
    a.open(() => {})
    await assert.rejects(a.postMessage(enc('q'), true), { code: 'Timeout' })
    const ac = new AbortController()
    const p = a.postMessage(enc('q'), true, { timeout: 0, signal: ac.signal })
    ac.abort()
    await assert.rejects(p, { code: 'Aborted' })
  })

  it('waits of different timeout lengths expire in deadline order; answered and untimed ones never do', async () => {
    const [a, b] = picoWire()
    b.open(async (msg, reply) => { if (dec(msg) === 'answer') await reply?.(msg) })
    await a.open(() => {})
    const order: string[] = []
    const wait = (name: string, timeout: number): Promise<void> =>
      a.postMessage(enc(name), true, { timeout }).then(() => { order.push(`${name} answered`) }, (err: NetError) => { order.push(`${name} ${err.code}`) })
    const untimed = a.postMessage(enc('untimed'), true, { timeout: 0 })
    const waits = [wait('t40', 40), wait('answer', 5), wait('t5', 5), wait('t20', 20), wait('t40b', 40), wait('t10', 10)]
    await Promise.all(waits)
    assert.deepEqual(order, ['answer answered', 't5 Timeout', 't10 Timeout', 't20 Timeout', 't40 Timeout', 't40b Timeout'])
    a.close()
    await assert.rejects(untimed, { code: 'Disconnected' })
  })
})

describe('spliceWires', () => {
  it('refuses non-plugs and two ends of one wire', () => {
    const [a, b] = picoWire()
    assert.throws(() => spliceWires(a, {} as never), TypeError)
    assert.throws(() => spliceWires(a, b), TypeError)
    assert.throws(() => spliceWires(a, a), TypeError)
  })

  it('closing the far end with an error rejects the original sender with it; the late reply rejects Disconnected', async () => {
    const [a, p] = picoWire()
    const [q, b] = picoWire()
    spliceWires(p, q)
    const got = deferred<Reply>()
    b.open((_m, reply) => { got.resolve(reply as Reply) })
    a.open(() => {})
    const pending = a.postMessage(enc('q'), true)
    const reply = await got.promise
    const err = new Error('far end failed')
    b.close(err)
    await assert.rejects(pending, err)
    await assert.rejects(reply(enc('late')), { code: 'Disconnected' })
    assert.equal(await a.closed, err)
  })

  it('the asker timing out aborts the relayed wait on the far side', async () => {
    const [a, p] = picoWire()
    const [q, b] = picoWire()
    p.open(q)
    const got = deferred<Reply>()
    b.open((_m, reply) => { got.resolve(reply as Reply) })
    a.open(() => {})
    const pending = a.postMessage(enc('q'), true, { timeout: 20 })
    const reply = await got.promise
    const aborted = new Promise(resolve => reply.signal.addEventListener('abort', resolve))
    await assert.rejects(pending, { code: 'Timeout' })
    await aborted
    assert.equal(a.isClosed, false)
  })
})
