// The tab mesh in Node (its BroadcastChannel joins channel objects of one process, as a
// browser joins the pages of one profile): links, leave, dead-tab detection, reset, bounds,
// garbage, the wire conformance suite, and a property test of the frame parser.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { joinTabs, picoWire } from '../../src/net/index.js'
import type { BroadcastChannelLike, LifecycleTarget, MeshPeer, Plug, TabMesh, TabMeshOptions } from '../../src/net/index.js'
import {
  TAB_BYE, TAB_DATA, TAB_HEADER, TAB_HELLO, TAB_RESET, TAB_VERSION, TAB_WELCOME, decodeTabFrame, encodeTabControl
} from '../../src/net/tabs.js'
import { HEADER_SIZE, encodePacket } from '../../src/net/frame.js'
import { wireConformance } from './wire-conformance.js'
import { Counter, until } from '../kernel/helpers.js'

let names = 0
const fresh = (): string => `test-${process.pid}-${++names}`
const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)
const idBytes = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g) as string[], h => parseInt(h, 16))

/** Resolves with the first `'peer'` (or `'leave'`) of a mesh that `pred` accepts. */
function next (mesh: TabMesh, event: 'peer'): Promise<MeshPeer>
function next (mesh: TabMesh, event: 'leave'): Promise<[MeshPeer, Error | null]>
function next (mesh: TabMesh, event: 'peer' | 'leave'): Promise<unknown> {
  return new Promise(resolve => {
    const off = event === 'peer'
      ? mesh.on('peer', p => { off(); resolve(p) })
      : mesh.on('leave', (p, e) => { off(); resolve([p, e]) })
  })
}

/** A mesh whose links hand their application ends to `apps` (the test opens them). */
function tab (name: string, apps: Plug[] = [], options?: TabMeshOptions): TabMesh {
  return joinTabs(name, () => { const [app, loose] = picoWire(); apps.push(app); return loose }, { lifecycle: null, ...options })
}

/** A raw channel on the mesh `name`, recording what it hears. */
function raw (name: string): { ch: BroadcastChannel, heard: Uint8Array[], wait: (pred: (b: Uint8Array) => boolean) => Promise<Uint8Array> } {
  const ch = new BroadcastChannel('picostack.tabs/' + name)
  const heard: Uint8Array[] = []
  const waiters: Array<{ pred: (b: Uint8Array) => boolean, resolve: (b: Uint8Array) => void }> = []
  ch.onmessage = (e: MessageEvent) => {
    const b = e.data as Uint8Array
    heard.push(b)
    for (const w of [...waiters]) if (w.pred(b)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(b) }
  }
  return {
    ch,
    heard,
    wait: pred => {
      const seen = heard.find(pred)
      if (seen !== undefined) return Promise.resolve(seen)
      return new Promise(resolve => waiters.push({ pred, resolve }))
    }
  }
}

const typeIs = (type: number, from?: string, to?: string) => (b: Uint8Array): boolean => {
  const f = decodeTabFrame(b)
  return f !== null && f.type === type && (from === undefined || f.from === from) && (to === undefined || f.to === to)
}

test('tabs: two tabs link, converse both ways, count bytes, and the leaver says bye', async () => {
  const name = fresh()
  const appsA: Plug[] = []
  const appsB: Plug[] = []
  const a = tab(name, appsA)
  const linkedA = next(a, 'peer')
  const b = tab(name, appsB)
  const [pa, pb] = await Promise.all([linkedA, next(b, 'peer')])
  assert.equal(pa.id, b.id)
  assert.equal(pb.id, a.id)
  assert.equal(pa.transport, 'tab')
  assert.match(a.id, /^[0-9a-f]{16}$/)
  const [appA] = appsA as [Plug]
  const [appB] = appsB as [Plug]
  appB.open(async (msg, reply) => { await reply?.(enc(`echo ${dec(msg)}`)) }).catch(() => {})
  await appA.open(() => {})
  const [answer] = await appA.postMessage(enc('hi'), true)
  assert.equal(dec(answer), 'echo hi')
  assert.ok(pa.bytesOut >= HEADER_SIZE + 2 && pa.messagesOut >= 1)
  assert.ok(pa.bytesIn >= HEADER_SIZE + 7 && pa.messagesIn >= 1)
  assert.deepEqual(a.peers.map(p => p.id), [b.id])
  const left = next(a, 'leave')
  b.close()
  const [gone, error] = await left
  assert.equal(gone.id, b.id)
  assert.equal(error, null)
  assert.equal(await appA.closed, null)
  assert.deepEqual(a.peers, [])
  assert.equal(b.closed, true)
  b.close() // idempotent
  a.close()
})

test('tabs: two kernels sync blocks through the mesh', async () => {
  const name = fresh()
  const k1 = new Counter()
  const k2 = new Counter()
  await Promise.all([k1.boot(), k2.boot()])
  const t1 = joinTabs(name, () => k1.spawnWire(), { lifecycle: null })
  const t2 = joinTabs(name, () => k2.spawnWire(), { lifecycle: null })
  try {
    const synced = until([k1, k2], k => k.total === 10)
    await k1.bump(3)
    await k2.bump(7)
    await synced
    assert.ok((t1.peers[0]?.bytesOut ?? 0) > 0)
  } finally {
    t1.close()
    t2.close()
    await Promise.all([k1.halt(), k2.halt()])
  }
})

test('tabs: a tab that goes silent is dropped with PeerTimeout', async () => {
  const name = fresh()
  let channelOfB: BroadcastChannelLike | undefined
  class Spy extends BroadcastChannel { constructor (n: string) { super(n); channelOfB = this } } // eslint-disable-line @typescript-eslint/no-this-alias
  const appsA: Plug[] = []
  const appsB: Plug[] = []
  const a = tab(name, appsA, { idleTimeout: 300 })
  const linked = next(a, 'peer')
  const b = tab(name, appsB, { BroadcastChannel: Spy as unknown as new (name: string) => BroadcastChannelLike })
  await Promise.all([linked, next(b, 'peer')])
  ;(appsB[0] as Plug).open((_m, reply) => { reply?.(enc('here')).catch(() => {}) }).catch(() => {})
  await (appsA[0] as Plug).open(() => {})
  await (appsA[0] as Plug).postMessage(enc('there?'), true) // a has heard from b
  const left = next(a, 'leave')
  ;(channelOfB as BroadcastChannelLike).close() // b vanishes without a word (a crashed tab)
  const [, error] = await left
  assert.equal((error as { code?: string }).code, 'PeerTimeout')
  b.close()
  a.close()
})

test('tabs: RESET from a tab drops the stale link and the pair links again', async () => {
  const name = fresh()
  const a = tab(name)
  const linked = next(a, 'peer')
  const b = tab(name)
  await Promise.all([linked, next(b, 'peer')])
  const spy = raw(name)
  const relinkedA = next(a, 'peer')
  const relinkedB = next(b, 'peer')
  const leftB = next(b, 'leave')
  spy.ch.postMessage(encodeTabControl(TAB_RESET, idBytes(a.id), idBytes(b.id))) // "a" says: I do not know you
  assert.equal((await leftB)[1], null)
  await spy.wait(typeIs(TAB_HELLO, b.id, a.id))
  await Promise.all([relinkedA, relinkedB])
  assert.equal(a.peers.length, 1)
  assert.equal(b.peers.length, 1)
  spy.ch.close()
  a.close()
  b.close()
})

test('tabs: DATA from an unknown tab gets one RESET', async () => {
  const name = fresh()
  const spy = raw(name)
  const a = tab(name)
  await spy.wait(typeIs(TAB_HELLO, a.id))
  const stranger = 'abcdefabcdef0001'
  const data = new Uint8Array(TAB_HEADER + HEADER_SIZE)
  data.set([TAB_VERSION, TAB_DATA])
  data.set(idBytes(stranger), 2)
  data.set(idBytes(a.id), 10)
  for (let i = 0; i < 5; i++) spy.ch.postMessage(data)
  await spy.wait(typeIs(TAB_RESET, a.id, stranger))
  // a HELLO after the DATA flood: the HELLO's answer comes after every RESET a sent
  spy.ch.postMessage(encodeTabControl(TAB_HELLO, idBytes(stranger), null))
  await spy.wait(typeIs(TAB_WELCOME, a.id, stranger))
  assert.equal(spy.heard.filter(typeIs(TAB_RESET, a.id, stranger)).length, 1)
  spy.ch.close()
  a.close()
})

test('tabs: the set of tabs sent a RESET is bounded and forgets the oldest', async () => {
  const name = fresh()
  const spy = raw(name)
  const a = tab(name, [], { maxTabs: 1 }) // remembers 4 resets
  await spy.wait(typeIs(TAB_HELLO, a.id))
  const strangers = Array.from({ length: 6 }, (_, i) => `abcdefabcdef10${String(i).padStart(2, '0')}`)
  const dataFrom = (from: string): Uint8Array => {
    const data = new Uint8Array(TAB_HEADER + HEADER_SIZE)
    data.set([TAB_VERSION, TAB_DATA])
    data.set(idBytes(from), 2)
    data.set(idBytes(a.id), 10)
    return data
  }
  for (const s of strangers) spy.ch.postMessage(dataFrom(s))
  await spy.wait(typeIs(TAB_RESET, a.id, strangers[5]))
  spy.ch.postMessage(dataFrom(strangers[0] as string)) // forgotten: a second RESET
  spy.ch.postMessage(dataFrom(strangers[5] as string)) // remembered: none
  spy.ch.postMessage(dataFrom('abcdefabcdef2000')) // a marker: its RESET comes after the others
  await spy.wait(typeIs(TAB_RESET, a.id, 'abcdefabcdef2000'))
  assert.equal(spy.heard.filter(typeIs(TAB_RESET, a.id, strangers[0])).length, 2)
  assert.equal(spy.heard.filter(typeIs(TAB_RESET, a.id, strangers[5])).length, 1)
  spy.ch.close()
  a.close()
})

test('tabs: maxTabs bounds the links; a leaver frees a place', async () => {
  const name = fresh()
  const a = tab(name, [], { maxTabs: 1 })
  const first = next(a, 'peer')
  const b = tab(name)
  const spy = raw(name)
  await first
  const c = tab(name)
  await spy.wait(typeIs(TAB_HELLO, c.id))
  await spy.wait(typeIs(TAB_WELCOME, b.id, c.id)) // b answers c; a, full, does not
  // a marker posted after c's hello: DATA from a stranger, which a answers with RESET
  const stranger = 'abcdefabcdef0002'
  const data = new Uint8Array(TAB_HEADER + HEADER_SIZE)
  data.set([TAB_VERSION, TAB_DATA])
  data.set(idBytes(stranger), 2)
  data.set(idBytes(a.id), 10)
  spy.ch.postMessage(data)
  await spy.wait(typeIs(TAB_RESET, a.id, stranger))
  assert.equal(spy.heard.some(typeIs(TAB_WELCOME, a.id, c.id)), false)
  assert.deepEqual(a.peers.map(p => p.id), [b.id])
  spy.ch.close()
  b.close()
  c.close()
  a.close()
})

test('tabs: garbage on the channel is ignored; a bad packet or an oversized one drops only that tab', async () => {
  const name = fresh()
  const apps: Plug[] = []
  const a = tab(name, apps, { maxFrameSize: 1024 })
  const linked = next(a, 'peer')
  const b = tab(name)
  const pb = await linked
  const spy = raw(name)
  for (const junk of [null, 1, 'text', { type: 1 }, new Uint8Array(0), new Uint8Array(TAB_HEADER), new ArrayBuffer(40), [1, 2, 3], new Uint8Array(5000)]) spy.ch.postMessage(junk)
  // still linked and working after the junk: a round trip through the pair
  const [appA] = apps as [Plug]
  assert.equal(a.peers.length, 1)
  // a DATA frame "from b" holding a malformed packet (flags 0x40): a drops b with ProtocolError
  const bad = new Uint8Array(TAB_HEADER + HEADER_SIZE)
  bad.set([TAB_VERSION, TAB_DATA])
  bad.set(idBytes(b.id), 2)
  bad.set(idBytes(a.id), 10)
  bad[TAB_HEADER + 8] = 0x40
  const left = next(a, 'leave')
  spy.ch.postMessage(bad)
  const [gone, error] = await left
  assert.equal(gone, pb)
  assert.equal((error as { code?: string }).code, 'ProtocolError')
  assert.equal((await appA.closed as { code?: string }).code, 'ProtocolError')
  // b heard a's BYE and relinks on its next HELLO; now an oversized frame
  const again = next(a, 'peer')
  spy.ch.postMessage(encodeTabControl(TAB_HELLO, idBytes(b.id), idBytes(a.id)))
  await again
  const big = new Uint8Array(TAB_HEADER + 2000)
  big.set([TAB_VERSION, TAB_DATA])
  big.set(idBytes(b.id), 2)
  big.set(idBytes(a.id), 10)
  const left2 = next(a, 'leave')
  spy.ch.postMessage(big)
  assert.equal(((await left2)[1] as { code?: string }).code, 'FrameTooLarge')
  spy.ch.close()
  a.close()
  b.close()
})

test('tabs: pagehide says bye and drops the links; pageshow from the cache links again', async () => {
  const name = fresh()
  const page = new EventTarget()
  const lifecycle: LifecycleTarget = {
    addEventListener: (type, l) => page.addEventListener(type, l as unknown as EventListener),
    removeEventListener: (type, l) => page.removeEventListener(type, l as unknown as EventListener)
  }
  const a = tab(name)
  const linked = next(a, 'peer')
  const b = tab(name, [], { lifecycle })
  await Promise.all([linked, next(b, 'peer')])
  const left = next(a, 'leave')
  const leftB = next(b, 'leave')
  page.dispatchEvent(new Event('pagehide'))
  assert.equal((await left)[1], null)
  await leftB
  assert.deepEqual(b.peers, [])
  const back = next(a, 'peer')
  page.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }))
  await back
  a.close()
  b.close()
})

test('tabs: bad arguments are TypeError/RangeError', () => {
  assert.throws(() => joinTabs('', () => picoWire()[0]), TypeError)
  assert.throws(() => joinTabs('x'.repeat(201), () => picoWire()[0]), TypeError)
  assert.throws(() => joinTabs('x', 1 as never), TypeError)
  assert.throws(() => joinTabs('x', () => picoWire()[0], { maxTabs: 0 }), RangeError)
  assert.throws(() => joinTabs('x', () => picoWire()[0], { BroadcastChannel: 1 as never }), TypeError)
  const m = tab(fresh())
  assert.throws(() => m.on('nope' as 'peer', () => {}), TypeError)
  m.close()
})

test('tabs: decodeTabFrame never throws and accepts exactly the grammar', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), bytes => {
    const f = decodeTabFrame(bytes)
    if (f === null) return
    assert.equal(bytes[0], TAB_VERSION)
    assert.ok(f.type >= TAB_HELLO && f.type <= TAB_RESET)
    assert.notEqual(f.from, '0000000000000000')
    assert.ok(f.to !== null || f.type === TAB_HELLO || f.type === TAB_BYE)
    assert.equal(f.type === TAB_DATA ? f.body.byteLength >= HEADER_SIZE : f.body.byteLength === 0, true)
  }), { numRuns: 2000 })
  // control frames round-trip
  fc.assert(fc.property(
    fc.constantFrom(TAB_HELLO, TAB_WELCOME, TAB_BYE, TAB_RESET),
    fc.uint8Array({ minLength: 8, maxLength: 8 }).filter(b => b.some(x => x !== 0)),
    fc.uint8Array({ minLength: 8, maxLength: 8 }).filter(b => b.some(x => x !== 0)),
    (type, from, to) => {
      const f = decodeTabFrame(encodeTabControl(type, from, to))
      assert.ok(f !== null)
      assert.equal(f.type, type)
      assert.deepEqual(idBytes(f.from), from)
      assert.deepEqual(idBytes(f.to as string), to)
    }))
  for (const v of [undefined, null, 'x', 1, {}, [], new Uint16Array(20)]) assert.equal(decodeTabFrame(v), null)
  const packet = encodePacket(0, 0, 0, enc('x'))
  const data = new Uint8Array(TAB_HEADER + packet.length)
  data.set([TAB_VERSION, TAB_DATA, 1], 0)
  data[10] = 1
  data.set(packet, TAB_HEADER)
  assert.equal(decodeTabFrame(data)?.body.byteLength, packet.length)
  data.fill(0, 10, 18)
  assert.equal(decodeTabFrame(data), null) // DATA to nobody
  assert.equal(decodeTabFrame(encodeTabControl(TAB_BYE, new Uint8Array(8).fill(1), null))?.to, null)
})

test('tabs: random frames posted on a live mesh never throw and leave an honest pair linked', async () => {
  const name = fresh()
  const apps: Plug[] = []
  const a = tab(name, apps, { maxFrameSize: 4096 })
  const linked = next(a, 'peer')
  const b = tab(name)
  await linked
  const spy = raw(name)
  const strangers = fc.uint8Array({ minLength: 8, maxLength: 8 })
  const frames = fc.sample(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 6 }), strangers, fc.boolean(), fc.uint8Array({ maxLength: 40 })), 300)
  for (const [version, type, from, toA, body] of frames) {
    const f = new Uint8Array(TAB_HEADER + body.length)
    f.set([version % 2 === 0 ? TAB_VERSION : version, type], 0)
    f.set(from, 2)
    if (toA) f.set(idBytes(a.id), 10)
    f.set(body, TAB_HEADER)
    spy.ch.postMessage(f)
  }
  // the pair is still linked: a message from b's side reaches a
  spy.ch.postMessage(encodeTabControl(TAB_HELLO, new Uint8Array(8).fill(9), null)) // a marker after the junk
  await spy.wait(typeIs(TAB_WELCOME, a.id, '0909090909090909'))
  assert.ok(a.peers.some(p => p.id === b.id))
  spy.ch.close()
  a.close()
  b.close()
})

wireConformance('tab mesh (BroadcastChannel)', async () => {
  const name = fresh()
  const appsA: Plug[] = []
  const appsB: Plug[] = []
  const a = tab(name, appsA)
  const linked = next(a, 'peer')
  const b = tab(name, appsB)
  await Promise.all([linked, next(b, 'peer')])
  return {
    a: appsA[0] as Plug,
    b: appsB[0] as Plug,
    async teardown () { a.close(); b.close() }
  }
})
