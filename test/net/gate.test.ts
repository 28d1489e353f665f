// Connection caps: a listener behind limitConnections refuses connections over its total and
// per-address caps at once, and only those; distinct loopback addresses show the per-address
// cap does not touch another address.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import http from 'node:http'
import net from 'node:net'
import { describe, it } from 'node:test'
import { WebSocket, WebSocketServer } from 'ws'
import { ConnectionGate, limitConnections } from '../../src/net/index.js'
import { addressKey } from '../../src/net/gate.js'
import { knock } from './helpers.js'

describe('connection caps', () => {
  it('keys addresses: IPv4 as is (also IPv4-mapped), IPv6 by its /64', () => {
    assert.equal(addressKey('127.0.0.2'), '127.0.0.2')
    assert.equal(addressKey('::ffff:127.0.0.2'), '127.0.0.2')
    assert.equal(addressKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64')
    assert.equal(addressKey('2001:DB8:1:2::9'), '2001:db8:1:2::/64')
    assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64')
    assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64')
    assert.equal(addressKey('::1'), '0:0:0:0::/64')
    assert.equal(addressKey(undefined), '?')
    assert.throws(() => new ConnectionGate({ maxConnections: -1 }), RangeError)
    assert.throws(() => new ConnectionGate({ maxPerAddress: 1.5 }), RangeError)
  })

  it('a node:net server refuses connections over the per-address and total caps, and admits again once one closes', async () => {
    let seen = 0
    const server = net.createServer(socket => { seen++; socket.write('hi') })
    const gate = limitConnections(server, { maxConnections: 4, maxPerAddress: 2 })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as net.AddressInfo
    const a1 = await knock(port, '127.0.0.1')
    const a2 = await knock(port, '127.0.0.1')
    const a3 = await knock(port, '127.0.0.1')
    assert.deepEqual([a1.result, a2.result, a3.result], ['admitted', 'admitted', 'refused'])
    const b1 = await knock(port, '127.0.0.2') // another address is not held back by the first one's cap
    const b2 = await knock(port, '127.0.0.2')
    assert.deepEqual([b1.result, b2.result], ['admitted', 'admitted'])
    const c1 = await knock(port, '127.0.0.3') // the total cap
    assert.equal(c1.result, 'refused')
    assert.equal(seen, 4, 'no listener saw a refused connection')
    assert.equal(gate.count, 4)
    assert.equal(gate.refused, 2)
    assert.equal(gate.countOf('127.0.0.1'), 2)
    assert.equal(gate.countOf('::ffff:127.0.0.2'), 2)
    const left = new Promise<void>(resolve => { const check = (): void => { if (gate.count === 3) resolve(); else setImmediate(check) }; check() })
    a1.socket.destroy()
    await left
    const a4 = await knock(port, '127.0.0.1')
    assert.equal(a4.result, 'admitted')
    for (const c of [a2, a4, b1, b2]) c.socket.destroy()
    await new Promise<void>(resolve => server.close(() => resolve()))
    while (gate.count > 0) await new Promise(resolve => setImmediate(resolve))
  })

  it('a ws WebSocketServer refuses upgrades over the per-address cap', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    let seen = 0
    wss.on('connection', ws => { seen++; ws.send('hi') })
    const gate = limitConnections(wss, { maxPerAddress: 1 })
    await once(wss, 'listening')
    const url = `ws://127.0.0.1:${(wss.address() as net.AddressInfo).port}`
    const open = async (localAddress: string): Promise<['admitted' | 'refused', WebSocket]> => {
      const ws = new WebSocket(url, { localAddress })
      ws.on('error', () => {})
      const result = await new Promise<'admitted' | 'refused'>(resolve => {
        ws.once('message', () => resolve('admitted'))
        ws.once('close', () => resolve('refused'))
      })
      return [result, ws]
    }
    const [r1, w1] = await open('127.0.0.1')
    const [r2] = await open('127.0.0.1')
    const [r3, w3] = await open('127.0.0.2')
    try {
      assert.deepEqual([r1, r2, r3], ['admitted', 'refused', 'admitted'])
      assert.equal(seen, 2)
      assert.equal(gate.refused, 1)
    } finally {
      w1.terminate()
      w3.terminate()
      await new Promise<void>(resolve => wss.close(() => resolve()))
    }
  })

  it('one gate shared by a TCP listener and a WebSocket listener\'s http server refuses before the HTTP upgrade', async () => {
    const gate = new ConnectionGate({ maxConnections: 2, maxPerAddress: 2 })
    const tcp = net.createServer(socket => { socket.write('hi') })
    limitConnections(tcp, gate)
    const server = http.createServer()
    limitConnections(server, gate)
    const wss = new WebSocketServer({ server })
    wss.on('connection', ws => { ws.send('hi') })
    tcp.listen(0, '127.0.0.1')
    server.listen(0, '127.0.0.1')
    await Promise.all([once(tcp, 'listening'), once(server, 'listening')])
    const t1 = await knock((tcp.address() as net.AddressInfo).port, '127.0.0.1')
    const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as net.AddressInfo).port}`)
    await once(ws, 'message')
    const raw = await knock((server.address() as net.AddressInfo).port, '127.0.0.2') // a third connection, no HTTP at all
    assert.equal(raw.result, 'refused')
    assert.equal(gate.count, 2)
    t1.socket.destroy()
    ws.terminate()
    wss.close()
    server.closeAllConnections()
    await Promise.all([
      new Promise<void>(resolve => tcp.close(() => resolve())),
      new Promise<void>(resolve => server.close(() => resolve()))
    ])
  })
})
