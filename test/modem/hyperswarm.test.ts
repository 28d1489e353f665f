import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ModemError, topicKey } from '../../src/modem/index.js'
import { Endpoint, swarmNet } from './helpers.js'

test('modem: wires over a real hyperswarm (local DHT) carry conversations', async t => {
  const { modem } = await swarmNet(t)
  const a = modem()
  const b = modem()
  const ea = new Endpoint('a')
  const eb = new Endpoint('b')
  await a.join('chat', ea.spawn)
  await b.join('chat', eb.spawn)
  await ea.until(() => ea.count === 1)
  await eb.until(() => eb.count === 1)
  assert.deepEqual(await ea.ask('hi'), ['b:hi'])
  assert.deepEqual(await eb.ask('yo'), ['a:yo'])
  // a conversation of several turns
  const [first, reply] = await ea.hub.nodes[0]!.postMessage(new TextEncoder().encode('1'), true)
  assert.equal(new TextDecoder().decode(first), 'b:1')
  assert.equal(reply, null)
  assert.deepEqual(ea.infos[0]!.topic, topicKey('chat'))
  assert.ok(ea.infos[0]!.remotePublicKey instanceof Uint8Array)
  assert.equal(a.connections, 1)
})

test('modem: five swarms on one topic form a full mesh', async t => {
  const { modem } = await swarmNet(t)
  const eps: Endpoint[] = []
  for (let i = 0; i < 5; i++) {
    const ep = new Endpoint(`p${i}`)
    eps.push(ep)
    await modem().join('mesh', ep.spawn) // one after another, each awaiting flushed()
  }
  for (const ep of eps) await ep.until(() => ep.count === 4)
  const answers = await eps[0]!.ask('ping')
  assert.deepEqual(answers, ['p1:ping', 'p2:ping', 'p3:ping', 'p4:ping'])
})

test('modem: two topics at once share one connection, each routed to its own spawnWire', async t => {
  const { modem } = await swarmNet(t)
  const a = modem()
  const b = modem()
  const c = modem()
  const a1 = new Endpoint('a1'); const a2 = new Endpoint('a2')
  const b1 = new Endpoint('b1'); const b2 = new Endpoint('b2')
  const c2 = new Endpoint('c2')
  await a.join('one', a1.spawn)
  await a.join('two', a2.spawn)
  await b.join('one', b1.spawn)
  await b.join('two', b2.spawn)
  await c.join('two', c2.spawn)
  await a1.until(() => a1.count === 1)
  await a2.until(() => a2.count === 2)
  await b2.until(() => b2.count === 2)
  await c2.until(() => c2.count === 2)
  assert.deepEqual(await a1.ask('x'), ['b1:x'])
  assert.deepEqual(await a2.ask('y'), ['b2:y', 'c2:y'])
  assert.deepEqual(await c2.ask('z'), ['a2:z', 'b2:z'])
  assert.deepEqual(await b1.ask('w'), ['a1:w'])
  // hyperswarm keeps one connection per pair of peers, whatever the topics
  assert.equal(a.connections, 2)
  assert.equal(b.connections, 2)
  for (const info of a1.infos) assert.deepEqual(info.topic, topicKey('one'))
  for (const info of a2.infos) assert.deepEqual(info.topic, topicKey('two'))
  assert.deepEqual(a.topics, [topicKey('one'), topicKey('two')])
})

test('modem: leave closes that topic\'s channels, other topics go on, rejoin reopens', async t => {
  const { modem } = await swarmNet(t)
  const a = modem()
  const b = modem()
  const a1 = new Endpoint('a1'); const a2 = new Endpoint('a2')
  const b1 = new Endpoint('b1'); const b2 = new Endpoint('b2')
  const leaveOne = await a.join('one', a1.spawn)
  await a.join('two', a2.spawn)
  await b.join('one', b1.spawn)
  await b.join('two', b2.spawn)
  await a1.until(() => a1.count === 1)
  await b1.until(() => b1.count === 1)
  await a2.until(() => a2.count === 1)
  await leaveOne()
  assert.equal(a1.count, 0)
  await b1.until(() => b1.count === 0) // the peer's channel closes too
  assert.deepEqual(await a2.ask('still'), ['b2:still'])
  await a.leave('one') // no-op when not joined
  await a.join('one', a1.spawn)
  await a1.until(() => a1.count === 1)
  await b1.until(() => b1.count === 1)
  assert.deepEqual(await b1.ask('back'), ['a1:back'])
})

test('modem: destroy closes every channel and the swarm; join afterwards fails Destroyed', async t => {
  const { modem } = await swarmNet(t)
  const a = modem()
  const b = modem()
  const ea = new Endpoint('a')
  const eb = new Endpoint('b')
  await a.join('bye', ea.spawn)
  await b.join('bye', eb.spawn)
  await ea.until(() => ea.count === 1)
  await eb.until(() => eb.count === 1)
  await a.destroy()
  await a.destroy() // idempotent
  assert.equal(ea.count, 0)
  assert.equal(a.connections, 0)
  await eb.until(() => eb.count === 0)
  await assert.rejects(a.join('bye', ea.spawn), (err: unknown) => err instanceof ModemError && err.code === 'Destroyed')
})
