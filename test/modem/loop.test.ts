import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { encodeFrame, fromStream, picoWire } from '../../src/net/index.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { CHANNEL_PROTOCOL_VERSION, Modem56, ModemError, encodeChannelMessage, topicKey } from '../../src/modem/index.js'
import type { ModemOptions } from '../../src/modem/index.js'
import { Endpoint, LoopSwarm, pair as duplexPair, text, utf8 } from './helpers.js'

let rooms = 0
function loop (t: TestContext): (options?: ModemOptions) => Modem56<{ room: string }> {
  const room = `room${rooms++}`
  const modems: Array<Modem56<{ room: string }>> = []
  t.after(async () => { for (const m of modems) await m.destroy() })
  return options => {
    const m = new Modem56(LoopSwarm, { room }, options)
    modems.push(m)
    return m
  }
}

const isCode = (code: string) => (err: unknown): boolean => err instanceof ModemError && err.code === code

test('modem: an injected swarm class (no hyperswarm) works the same', async t => {
  const modem = loop(t)
  const a = modem(); const b = modem()
  const ea = new Endpoint('a'); const eb = new Endpoint('b')
  await a.join('loop', ea.spawn)
  await b.join('loop', eb.spawn)
  await ea.until(() => ea.count === 1)
  assert.deepEqual(await ea.ask('q'), ['b:q'])
  assert.ok(a.swarm instanceof LoopSwarm)
  assert.equal(ea.infos[0]!.client, false)
  assert.equal(eb.infos[0]!.client, true)
})

test('modem: a topic joined later opens a channel on the existing connection', async t => {
  const modem = loop(t)
  const a = modem(); const b = modem()
  const a1 = new Endpoint('a1'); const b1 = new Endpoint('b1')
  const a2 = new Endpoint('a2'); const b2 = new Endpoint('b2')
  await a.join('one', a1.spawn)
  await b.join('one', b1.spawn)
  await a1.until(() => a1.count === 1)
  await b.join('two', b2.spawn) // a is not on 'two' yet: nothing opens
  await a.join('two', a2.spawn) // the loop swarm makes no new connection: the channel comes from ADD
  await a2.until(() => a2.count === 1)
  await b2.until(() => b2.count === 1)
  assert.equal(a.connections, 1)
  assert.deepEqual(await b2.ask('late'), ['a2:late'])
})

test('modem: a plug closed by the application closes the peer\'s channel only', async t => {
  const modem = loop(t)
  const a = modem(); const b = modem()
  const a1 = new Endpoint('a1'); const b1 = new Endpoint('b1')
  const a2 = new Endpoint('a2'); const b2 = new Endpoint('b2')
  await a.join('one', a1.spawn); await a.join('two', a2.spawn)
  await b.join('one', b1.spawn); await b.join('two', b2.spawn)
  await a1.until(() => a1.count === 1)
  await b2.until(() => b2.count === 1)
  a1.hub.nodes[0]!.close() // e.g. a kernel dropping a duplicate peer
  await b1.until(() => b1.count === 0)
  assert.deepEqual(await b2.ask('ok'), ['a2:ok'])
  assert.equal(a.connections, 1)
})

test('modem: spawnWire that throws or returns no plug is reported as SpawnFailed', async t => {
  const errors: Error[] = []
  const modem = loop(t)
  const a = modem({ onerror: err => errors.push(err) })
  const b = modem()
  const eb = new Endpoint('b')
  await a.join('x', () => { throw new Error('boom') })
  await a.join('y', () => 42 as never)
  await b.join('x', eb.spawn)
  await b.join('y', eb.spawn)
  const e2 = new Endpoint('probe') // wait until a has processed b's announcements
  await a.join('z', e2.spawn); await b.join('z', e2.spawn)
  await e2.until(() => e2.count === 2)
  assert.deepEqual(errors.map(e => (e as ModemError).code), ['SpawnFailed', 'SpawnFailed'])
  await eb.until(() => eb.count === 0) // b's channels were closed by a's CLOSE
})

test('modem: a peer sending garbage is disconnected with ProtocolError', async t => {
  const errors: Error[] = []
  const modem = loop(t)
  const a = modem({ onerror: err => errors.push(err) })
  const ea = new Endpoint('a')
  await a.join('g', ea.spawn)
  for (const payload of [new Uint8Array([77, 1, 2]), encodeChannelMessage({ type: 'data', index: 0, payload: utf8('x') })]) {
    const [mine, theirs] = duplexPair()
    const closed = new Promise(resolve => theirs.on('close', resolve))
    mine.on('error', () => {})
    ;(a.swarm as LoopSwarm).inject(theirs)
    mine.write(encodeFrame(0, 0, 0, payload))
    await closed
  }
  assert.deepEqual(errors.map(e => (e as ModemError).code), ['ProtocolError', 'ProtocolError'])
  assert.equal(a.connections, 0)
  assert.equal(ea.count, 0)
})

test('modem: a peer that never says HELLO is dropped after handshakeTimeout', async t => {
  const errors: Error[] = []
  const modem = loop(t)
  const a = modem({ onerror: err => errors.push(err), handshakeTimeout: 50 })
  const [mine, theirs] = duplexPair()
  mine.on('error', () => {})
  const closed = new Promise(resolve => theirs.on('close', resolve))
  ;(a.swarm as LoopSwarm).inject(theirs)
  await closed
  assert.ok(isCode('HandshakeTimeout')(errors[0]))
})

test('modem: a hand-rolled peer speaking the channel protocol gets a channel', async t => {
  const modem = loop(t)
  const a = modem()
  const ea = new Endpoint('a')
  await a.join('raw', ea.spawn)
  const [mine, theirs] = duplexPair()
  ;(a.swarm as LoopSwarm).inject(theirs)
  const plug = fromStream(mine)
  const nonce = new Uint8Array(16).fill(3)
  const token = sha256(new Uint8Array([...nonce, ...topicKey('raw')]))
  const hellos: Uint8Array[] = []
  await plug.open(msg => { hellos.push(msg) })
  await plug.postMessage(encodeChannelMessage({ type: 'hello', version: CHANNEL_PROTOCOL_VERSION, nonce, topics: [{ index: 9, token }] }))
  await ea.until(() => ea.count === 1)
  const [answer] = await plug.postMessage(encodeChannelMessage({ type: 'data', index: 9, payload: utf8('hey') }), true)
  assert.equal(text(answer), 'a:hey')
  // a data message for an index never announced fails the conversation, not the connection
  await assert.rejects(plug.postMessage(encodeChannelMessage({ type: 'data', index: 8, payload: utf8('?') }), true), /ChannelClosed/)
  assert.equal(a.connections, 1)
  plug.close()
})

test('modem: caller errors and Aborted', async t => {
  const modem = loop(t)
  assert.throws(() => new Modem56(42 as never), TypeError)
  const a = modem()
  await assert.rejects(a.join('t', 42 as never), TypeError)
  await assert.rejects(a.join(new Uint8Array(3), () => picoWire()[0]), TypeError)
  const ac = new AbortController()
  ac.abort()
  await assert.rejects(a.join('t', () => picoWire()[0], { signal: ac.signal }), isCode('Aborted'))
  assert.equal(a.topics.length, 1) // stays joined
  await a.leave('t')
  assert.equal(a.topics.length, 0)
})

test('modem: refresh() asks the swarm again and reports what it says', async t => {
  const modem = loop(t)
  const a = modem()
  await assert.rejects(a.refresh('t'), isCode('NotJoined'))
  await a.join('t', () => picoWire()[0])
  // LoopSwarm's discovery has no refresh(): its flushed() is the answer
  assert.equal(await a.refresh('t'), true)
  // a discovery whose refresh() reports a failed lookup, then a good one, then rejects
  const outcomes: Array<Promise<unknown>> = [Promise.resolve(false), Promise.resolve(true), Promise.reject(new Error('query failed'))]
  const calls: string[] = []
  const swarm = a.swarm as LoopSwarm
  const join = swarm.join.bind(swarm)
  swarm.join = topic => ({ ...join(topic), refresh: async () => { calls.push('refresh'); return await (outcomes.shift() as Promise<unknown>) } })
  await a.join('u', () => picoWire()[0])
  assert.equal(await a.refresh('u'), false)
  assert.equal(await a.refresh(topicKey('u')), true)
  assert.equal(await a.refresh('u'), false)
  assert.deepEqual(calls, ['refresh', 'refresh', 'refresh'])
  const ac = new AbortController()
  ac.abort()
  swarm.join = topic => ({ ...join(topic), refresh: async () => await new Promise<never>(() => {}) })
  await a.join('v', () => picoWire()[0])
  await assert.rejects(a.refresh('v', { signal: ac.signal }), isCode('Aborted'))
  assert.equal(a.topics.length, 3) // stays joined
  await a.destroy()
  await assert.rejects(a.refresh('t'), isCode('Destroyed'))
})
