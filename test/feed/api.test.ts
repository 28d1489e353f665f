// The whole feed API (spec/feed.md §5) and the acceptance list of §10, adapted where
// gaps.md fixes change the result (typed errors instead of -1, real Block.size, psig
// undefined for genesis, new-block counts for reverse merges, empty slices, diff(empty)).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  Feed, Block, FeedError, feedFrom, isFeed, isBlock, signPair, getPublicKey, generatePrivateKey,
  toHex, fromHex, s2b, b2s, cmp, compare, cpy, toU8, au8, hexdump, varintEncode, varintDecode, varintLength,
  counters, ZERO_PARENT, PIC0, HDR_AUTHOR, HDR_PSIG, symFeed, symBlock, setEd25519, webCryptoBatchVerifier
} from '../../src/feed/index.js'
import { SPEC_SK, SPEC_PK } from './_fixtures.js'

const { sk, pk } = signPair()

/** A feed of `n` blocks with bodies B0, B1, ... */
function chain (n: number, secret: string = sk, prefix = 'B'): Feed {
  const f = new Feed()
  for (let i = 0; i < n; i++) f.append(`${prefix}${i}`, secret)
  return f
}
const bodies = (f: Feed): string[] => f.blocks.map(b => b2s(b.body))
const code = (c: string) => (e: unknown): boolean => e instanceof FeedError && e.code === c

test('§10.1-2 single blocks: sizes, decode, verify, raw segment merge', () => {
  const msg = 'x'.repeat(44)
  const f = new Feed()
  f.append(msg, sk)
  const b0 = f.first!
  assert.equal(b0.blockSize, 44 + 64 + 1 + 34)
  assert.equal(b2s(b0.body), msg)
  assert.equal(b0.size, 44) // gaps F1: the real body length
  assert.equal(toHex(b0.key), pk)
  assert.ok(b0.verify(pk))
  assert.ok(b0.verify(fromHex(pk)))
  assert.equal(b0.psig, undefined) // gaps F20
  assert.ok(b0.genesis)
  f.append('second', sk)
  const b1 = new Block(f.buffer, 4 + b0.blockSize)
  assert.ok(b1.verify())
  assert.equal(toHex(b1.key), pk)
  assert.ok(cmp(b1.psig!, b0.sig))
  assert.ok(cmp(b1.id, b1.sig))
  assert.equal(b1.blockSize, 64 + 1 + 2 + 32 + 2 + 64 + 6)
  const segment = f.buffer.slice(4)
  const g = new Feed()
  assert.equal(g.merge(segment), 2)
  assert.equal(g.length, 2)
  assert.equal(g.tail, segment.length + 4)
})

test('§10.3 append, block(n), first/last, keys, clone', () => {
  const f = new Feed()
  assert.equal(f.append('B0', sk), 1)
  assert.equal(f.append(s2b('B1'), fromHex(sk)), 2)
  assert.equal(f.append('B2', sk), 3)
  assert.equal(b2s(f.block(0)!.body), 'B0')
  assert.equal(b2s(f.block(-1)!.body), 'B2')
  assert.equal(f.block(-4), undefined)
  assert.equal(f.block(3), undefined)
  assert.equal(toHex(f.block(0)!.key), pk)
  assert.equal(f.last, f.block(2))
  assert.equal(f.first, f.block(0))
  assert.ok(cmp(f.block(1)!.psig!, f.block(0)!.sig))
  assert.equal(f.keys.length, 1)
  const c = f.clone()
  assert.equal(c.tail, f.tail)
  assert.deepEqual(c.buffer, f.buffer)
  c.append('B3', sk)
  assert.equal(f.length, 3, 'the clone is independent')
  const empty = new Feed()
  assert.equal(empty.first, undefined)
  assert.equal(empty.last, undefined)
  assert.equal(empty.length, 0)
  assert.equal(empty.tail, 4)
  assert.deepEqual(empty.buffer, PIC0)
  assert.ok(empty.partial)
})

test('§10.3 many authors: keys in order of first appearance', () => {
  const a = signPair()
  const b = signPair()
  const f = new Feed()
  f.append('1', a.sk); f.append('2', b.sk); f.append('3', a.sk); f.append('4', sk)
  assert.deepEqual(f.keys.map(k => toHex(k)), [a.pk, b.pk, pk])
  assert.equal(Feed.from(f.buffer).length, 4)
})

test('§10.4 truncate', () => {
  const f = chain(3)
  assert.equal(f.truncate(1), 1)
  assert.equal(f.length, 1)
  f.append('B4', sk)
  assert.deepEqual(bodies(f), ['B0', 'B4'])
  assert.ok(cmp(f.block(1)!.psig!, f.block(0)!.sig))
  assert.equal(f.truncate(5), 2, 'beyond the end is a no-op')
  assert.equal(f.truncate(0), 0)
  assert.equal(f.length, 0)
  assert.equal(f.tail, 4)
  f.append('C0', sk)
  assert.ok(f.first!.genesis)
  assert.equal(f.truncate(-1), 0)
  const g = chain(4)
  assert.equal(g.truncate(-2), 2)
  assert.deepEqual(bodies(g), ['B0', 'B1'])
  assert.equal(Feed.from(g.buffer).length, 2)
  assert.equal(g.truncate(-10), 0)
})

test('truncate never writes into memory that blocks handed out still view', () => {
  const f = chain(3)
  const dropped = f.block(2)!
  const before = dropped.buffer.slice()
  const src = new Uint8Array(f.buffer)
  f.truncate(1)
  f.append('overwrite?', sk)
  f.append('and again', sk)
  assert.deepEqual(dropped.buffer, before)
  assert.ok(dropped.verify())
  // a feed parsed from caller bytes never writes into them either
  const copyOfSrc = src.slice()
  const g = Feed.from(src)
  g.truncate(0)
  g.append('x', sk)
  assert.deepEqual(src, copyOfSrc)
})

test('Feed copies its input bytes (gaps F10)', () => {
  const f = chain(2)
  const bytes = f.buffer.slice()
  const g = Feed.from(bytes)
  bytes.fill(0xff)
  assert.equal(g.length, 2)
  assert.deepEqual(g.buffer, f.buffer)
})

test('§10.5 inspect calls its logger once and returns the drawing; toString', () => {
  const f = chain(2)
  let calls = 0
  let text = ''
  const ret = f.inspect(t => { calls++; text = t })
  assert.equal(calls, 1)
  assert.equal(typeof text, 'string')
  assert.equal(ret, text)
  assert.match(text, /BLOCK 1/)
  assert.match(text, /GENESIS/)
  const s = f.first!.toString()
  assert.notEqual(s, '[object Object]')
  const j = JSON.parse(s) as Record<string, unknown>
  assert.equal(j.psig, 'GENESIS')
  assert.equal(j.bodyhex, toHex(s2b('B0'))) // gaps F2: the body, not the signature
  assert.equal(j.size, 2)
})

test('§10.6 diff', () => {
  const a = chain(3)
  const b = a.clone()
  b.append('B3', sk); b.append('B4', sk)
  assert.equal(a.diff(b), 2, 'ahead')
  assert.equal(a.diff(a.clone()), 0, 'sync')
  assert.equal(b.diff(a), -2, 'behind')
  assert.equal(a.diff(a), 0, 'self')
  assert.equal(b.block(b.length - a.diff(b)), b.block(3), 'b.block(b.length - diff) is the first new block')
  // two chains that both start with genesis share the zero parent: diverged, both ways
  const x = chain(2, signPair().sk, 'X')
  assert.throws(() => a.diff(x), code('Diverged'))
  assert.throws(() => x.diff(a), code('Diverged'))
  // branches after a common parent
  const c = a.clone(); c.append('left', sk)
  const d = a.clone(); d.append('right', sk)
  assert.throws(() => c.diff(d), code('Diverged'))
  // truncated clone
  const e = chain(5)
  const t = e.clone(); t.truncate(2)
  assert.equal(e.diff(t), -3)
  assert.equal(t.diff(e), 3)
  // partial feeds: directional alignment
  const head = e.slice(0, 1)
  const tail = e.slice(1, 3)
  assert.equal(head.diff(tail), 2)
  assert.throws(() => tail.diff(head), code('Unrelated'))
  assert.equal(e.diff(e.slice(2, 4)), -1)
  assert.equal(e.diff(e.slice(1)), 0)
  // empty feeds (gaps F4)
  assert.equal(new Feed().diff(e), 5)
  assert.equal(e.diff(new Feed()), -5)
  assert.equal(new Feed().diff(new Feed()), 0)
  // bytes and blocks are accepted
  assert.equal(a.diff(b.buffer), 2)
  assert.equal(a.diff([...b.blocks]), 2)
  assert.ok(Object.is(a.diff(a.clone()), 0), 'never -0')
})

test('§10.7-8 slice, partial and merge (typed errors instead of -1)', () => {
  const f = chain(3)
  assert.equal(f.partial, false)
  assert.equal(f.slice(1).partial, true)
  const a = f.slice(0, 1)
  assert.equal(a.merge(f.slice(1)), 2)
  assert.deepEqual(a.buffer, f.buffer)
  const b = f.slice(0, 1)
  assert.throws(() => b.merge(f.slice(2)), code('Unrelated'))
  assert.equal(b.length, 1)
  // reverse merge returns the number of new blocks (gaps F7)
  const r = f.slice(1)
  assert.equal(r.merge(f.slice(0, 1)), 1)
  assert.deepEqual(bodies(r), ['B0', 'B1', 'B2'])
  assert.deepEqual(r.buffer, f.buffer)
  const s = f.slice(2)
  assert.equal(s.merge(f.slice(1, 2)), 1)
  assert.deepEqual(bodies(s), ['B1', 'B2'])
  // a source that holds this feed entirely, with more on both sides
  const five = chain(5)
  const mid = five.slice(2, 3)
  assert.equal(mid.merge(five), 4)
  assert.deepEqual(mid.buffer, five.buffer)
  // slice index rules
  const six = chain(6)
  assert.deepEqual(bodies(six.slice(2, 5)), ['B2', 'B3', 'B4'])
  assert.deepEqual(bodies(six.slice(-2)), ['B4', 'B5'])
  assert.deepEqual(bodies(six.slice(1, -3)), ['B1', 'B2'])
  assert.equal(six.slice(4, 2).length, 0, 'an empty range is an empty feed (gaps F5)')
  assert.equal(six.slice(6).length, 0)
  assert.equal(six.merge(six.slice(6)), 0)
  assert.equal(six.merge(six), 0)
  assert.equal(six.merge(six.slice(1, 3)), 0, 'nothing new')
})

test('§10.9-10 merge into empty, again after growth, block by block, single Block', () => {
  const src = chain(2)
  const dst = new Feed()
  assert.equal(dst.merge(src), 2)
  src.append('B2', sk)
  assert.equal(dst.merge(src), 1)
  assert.deepEqual(bodies(dst), ['B0', 'B1', 'B2'])
  const bb = new Feed()
  for (const b of chain(5).blocks) assert.equal(bb.merge(b), 1)
  assert.deepEqual(bb.buffer, chain(5).buffer)
  assert.equal(bb.merge(bb.block(2)!), 0)
})

test('§10.11 Feed.from(ArrayBuffer | Buffer | other views)', () => {
  const f = chain(3)
  const ab = f.buffer.slice().buffer
  assert.equal(Feed.from(ab).diff(f), 0)
  assert.equal(Feed.from(Buffer.from(f.buffer)).diff(f), 0)
  const dv = new DataView(ab)
  assert.equal(Feed.from(dv).diff(f), 0)
  assert.equal(feedFrom(f), f, 'a Feed is returned as is')
  assert.equal(Feed.from([]).length, 0)
  const fromBlocks = Feed.from([...f.blocks])
  assert.deepEqual(fromBlocks.buffer, f.buffer)
  assert.throws(() => Feed.from([f.block(0)!, f.block(2)!]), code('InvalidParent'))
})

test('§10.12 interactive merge: stop(true) after the 4th callback', () => {
  const src = chain(8)
  const dst = new Feed()
  let calls = 0
  const n = dst.merge(src, (_block, stop) => { if (++calls === 4) stop(true) })
  assert.equal(n, 4)
  assert.equal(n, calls)
  assert.equal(dst.length, 4)
  let seen = 0
  assert.equal(dst.merge(src, (block, stop) => { if (seen++ === 1) stop(); else assert.ok(isBlock(block)) }), 1)
  assert.equal(dst.length, 5)
  assert.equal(dst.merge(src, (_b, stop) => stop(false)), 0)
  assert.equal(dst.merge(src), 3)
})

test('interactive reverse merge is all or nothing and sees only new blocks', () => {
  const five = chain(5)
  const mid = five.slice(2, 3)
  const seen: string[] = []
  assert.equal(mid.merge(five, b => { seen.push(b2s(b.body)) }), 4)
  assert.deepEqual(seen, ['B0', 'B1', 'B3', 'B4'])
  const other = five.slice(2, 3)
  assert.equal(other.merge(five, (_b, stop) => stop(true)), 0, 'stopping early keeps this feed as it was')
  assert.deepEqual(bodies(other), ['B2'])
  const last = five.slice(3)
  let k = 0
  assert.equal(last.merge(five.slice(0, 3), (_b, stop) => { if (++k === 3) stop(true) }), 3, 'stop(true) on the last new block completes')
  assert.deepEqual(last.buffer, five.buffer)
})

test('§10.13 bad constructor input, toU8, varint', () => {
  assert.throws(() => Feed.from(0 as never), TypeError)
  assert.throws(() => new Block(0 as never), TypeError)
  assert.throws(() => toU8(null), TypeError)
  const b: number[] = []
  assert.equal(varintEncode(1024, b), 2)
  assert.deepEqual(varintDecode(new Uint8Array(b)), [1024, 2])
  assert.throws(() => varintDecode(new Uint8Array([0x80])), code('BufferUnderflow'))
  // the table of spec/feed.md §2.2 (up to our 4-byte bound)
  for (const [n, hex] of [[0, '00'], [1, '01'], [127, '7f'], [128, '8001'], [300, 'ac02'], [16383, 'ff7f'], [16384, '808001'], [2097152, '80808001'], [2 ** 28 - 1, 'ffffff7f']] as const) {
    const out = new Uint8Array(4)
    const len = varintEncode(n, out)
    assert.equal(toHex(out.subarray(0, len)), hex)
    assert.equal(varintLength(n), len)
    assert.deepEqual(varintDecode(fromHex(hex)), [n, len])
  }
  // gaps F11: bounded and canonical
  assert.throws(() => varintDecode(fromHex('8080808001')), code('InvalidVarint'))
  assert.throws(() => varintDecode(fromHex('8000')), code('InvalidVarint'))
  assert.throws(() => varintEncode(2 ** 28), RangeError)
  assert.deepEqual(varintDecode(fromHex('ff01ac02'), 2), [300, 2])
})

test('§10.14 reverse diverged merge throws Diverged in both directions', () => {
  const base = chain(2)
  const a = base.clone(); a.append('A2', sk)
  const b = base.slice(1); b.append('C2', sk)
  assert.throws(() => a.merge(b), code('Diverged'))
  assert.throws(() => b.merge(a), code('Diverged'))
  assert.equal(a.length, 3)
  assert.equal(b.length, 2)
})

test('§10.15 / §5.6 verification counts; each block verified at most once per feed', () => {
  const count = (fn: () => unknown): number => { const v = counters.verifications; fn(); return counters.verifications - v }
  const f = new Feed()
  assert.equal(count(() => f.append('B0', sk)), 0, 'append does not verify its own signature')
  for (let i = 1; i < 5; i++) f.append(`B${i}`, sk)
  assert.equal(count(() => f.clone()), 0)
  assert.equal(count(() => f.slice(1, 3)), 0)
  assert.equal(count(() => f.clone().truncate(2)), 0)
  const g = f.clone(); g.append('B5', sk)
  assert.equal(count(() => f.diff(g)), 0)
  assert.equal(count(() => f.clone().merge(g)), 0)
  assert.equal(count(() => Feed.from(g.buffer)), 6)
  assert.equal(count(() => Feed.from(g.buffer, true)), 0)
  const blocks = [...Feed.from(g.buffer, true).blocks]
  assert.equal(count(() => Feed.from(blocks, true)), 0)
  assert.equal(count(() => Feed.from(blocks)), 6)
  assert.equal(count(() => Feed.from(blocks)), 0, 'blocks verified once stay verified')
  // an unverified feed is verified when (and only when) its blocks enter another feed
  const lazy = Feed.from(g.buffer, true)
  assert.equal(count(() => lazy.clone()), 0)
  const dst = new Feed()
  assert.equal(count(() => dst.merge(lazy)), 6)
  assert.equal(count(() => new Feed().merge(lazy)), 0)
  // a feed loaded without verification does not become trusted by copying
  const bad = g.buffer.slice(); bad[bad.length - 1]! ^= 1
  const unchecked = Feed.from(bad, true)
  assert.throws(() => new Feed().merge(unchecked.clone()), code('SignatureVerificationFailed'))
  assert.equal(Feed.__vctr, counters.verifications)
})

test('merge of bytes with a forged block throws, the destination is unchanged', () => {
  const f = chain(4)
  const dst = f.slice(0, 2)
  const bad = f.buffer.slice(); bad[bad.length - 1] = 0x41
  assert.throws(() => dst.merge(bad), code('SignatureVerificationFailed'))
  const unchecked = Feed.from(bad, true)
  assert.throws(() => dst.merge(unchecked), code('SignatureVerificationFailed'))
  assert.equal(dst.length, 2, 'nothing was merged')
  assert.deepEqual(dst.buffer, f.slice(0, 2).buffer)
})

test('MemoryTaken lifecycle: a reverse merge leaves no unusable feed reachable', () => {
  const five = chain(5)
  const src = five.slice(0, 3)
  const dst = five.slice(3)
  const oldBlock = dst.first!
  const oldBytes = oldBlock.buffer.slice()
  const handed: Block[] = []
  assert.equal(dst.merge(src, b => { handed.push(b) }), 3)
  // the destination adopted the merged memory; the source and everything handed out work
  assert.deepEqual(dst.buffer, five.buffer)
  assert.equal(src.length, 3)
  assert.deepEqual(src.buffer, five.slice(0, 3).buffer)
  assert.deepEqual(oldBlock.buffer, oldBytes)
  for (const b of handed) assert.ok(b.verify())
  dst.append('B5', sk)
  src.append('S3', sk)
  assert.equal(dst.length, 6)
  assert.equal(src.length, 4)
  assert.equal(new FeedError('MemoryTaken').code, 'MemoryTaken')
})

test('parser: magic optional, zero padding is spare capacity, garbage is an error (gaps F9)', () => {
  const f = chain(3)
  const raw = f.buffer.slice(4)
  assert.equal(Feed.from(raw).length, 3)
  const padded = new Uint8Array(f.tail + 100); padded.set(f.buffer)
  const p = Feed.from(padded)
  assert.equal(p.length, 3)
  assert.equal(p.tail, f.tail)
  const garbage = new Uint8Array([...f.buffer, 1, 2, 3])
  assert.throws(() => Feed.from(garbage), code('BufferUnderflow'))
  for (const cut of [1, 10, 64, 70, 100]) {
    assert.throws(() => Feed.from(f.buffer.subarray(0, f.tail - cut)), code('BufferUnderflow'), `cut ${cut}`)
  }
  assert.equal(Feed.from(new Uint8Array(0)).length, 0)
  assert.equal(Feed.from(PIC0).length, 0)
  assert.equal(Feed.from(new Uint8Array(500)).length, 0)
  // headers: unknown type, repeated AUTHOR, missing AUTHOR, empty body
  const one = chain(1).buffer
  const unknown = one.slice(); unknown[4 + 64 + 2] = 9
  assert.throws(() => Feed.from(unknown, true), code('InvalidHeader'))
  const mk = (dat: number[]): Uint8Array => { const b = new Uint8Array(64 + 1 + dat.length); b[64] = dat.length; b.set(dat, 65); return b }
  const key = [...fromHex(pk)]
  assert.throws(() => new Block(mk([0, HDR_AUTHOR, ...key, 0, HDR_AUTHOR, ...key, 1])), code('InvalidHeader'))
  assert.throws(() => new Block(mk([0, HDR_PSIG, ...new Uint8Array(64), 1])), code('InvalidHeader'))
  assert.throws(() => new Block(mk([0, HDR_AUTHOR, ...key])), code('InvalidHeader'))
  assert.throws(() => new Block(mk([0, HDR_AUTHOR, 1, 2])), code('InvalidHeader'))
  assert.ok(new Block(mk([0, HDR_AUTHOR, ...key, 7])).body.length === 1)
  assert.throws(() => new Block(new Uint8Array(10)), code('BufferUnderflow'))
  // a wrong parent link
  const a = chain(2)
  const b = chain(2, signPair().sk)
  const mixed = new Uint8Array([...a.buffer, ...b.buffer.subarray(4 + b.first!.blockSize)])
  assert.throws(() => Feed.from(mixed), code('InvalidParent'))
})

test('keys: signPair, getPublicKey, generatePrivateKey, the spec vector', () => {
  assert.match(sk, /^[0-9a-f]{64}$/)
  assert.match(pk, /^[0-9a-f]{64}$/)
  assert.equal(getPublicKey(sk), pk)
  assert.equal(getPublicKey(fromHex(sk)), pk)
  assert.equal(getPublicKey(SPEC_SK), SPEC_PK)
  assert.equal(getPublicKey(SPEC_SK.toUpperCase()), SPEC_PK)
  assert.match(generatePrivateKey(), /^[0-9a-f]{64}$/)
  assert.notEqual(generatePrivateKey(), generatePrivateKey())
  const p = Feed.signPair()
  assert.equal(getPublicKey(p.sk), p.pk)
  assert.throws(() => getPublicKey(new TextEncoder().encode(SPEC_SK)), RangeError, '64 ASCII hex bytes are not a secret')
})

test('byte utilities', () => {
  assert.equal(toHex(new Uint8Array([1, 255, 16])), '01ff10')
  assert.equal(toHex(new Uint8Array([1, 255, 16]), 2), '01ff')
  assert.deepEqual(fromHex('01FF10'), new Uint8Array([1, 255, 16]))
  assert.equal(b2s(s2b('héllo ✓')), 'héllo ✓')
  assert.ok(cmp(new Uint8Array(0), new Uint8Array(0)), 'gaps F3: empty arrays are equal')
  assert.ok(!cmp(new Uint8Array([1]), new Uint8Array([1, 2])))
  assert.ok(!cmp(new Uint8Array([1, 3]), new Uint8Array([1, 2])))
  assert.ok(compare(new Uint8Array([1, 2]), new Uint8Array([1, 3])) < 0)
  assert.ok(compare(new Uint8Array([1, 2, 0]), new Uint8Array([1, 2])) > 0)
  assert.equal(compare(new Uint8Array([5]), new Uint8Array([5])), 0)
  assert.deepEqual(cpy(new Uint8Array(4), new Uint8Array([7, 8]), 1), new Uint8Array([0, 7, 8, 0]))
  const u = new Uint8Array([1, 2])
  assert.equal(toU8(u), u)
  assert.deepEqual(toU8(new Uint16Array([0x0201])), new Uint8Array([1, 2]))
  assert.deepEqual(toU8(u.buffer), u)
  assert.deepEqual(toU8('cafe'), new Uint8Array([0xca, 0xfe]))
  assert.deepEqual(toU8('hello'), s2b('hello'))
  assert.deepEqual(toU8(''), new Uint8Array(0))
  assert.equal(au8(u, 2), u)
  const dump = hexdump(s2b('hello\nworld'), false, 8)
  assert.equal(dump.split('\n')[0], '[Buffer] size: 11')
  assert.match(dump, /68 65 6c 6c 6f 0a 77 6f \thello\.wo/)
  let logged = ''
  hexdump(u, t => { logged = t })
  assert.match(logged, /^\[Buffer\] size: 2/)
})

test('constants and brands', () => {
  assert.deepEqual(PIC0, s2b('PIC0'))
  assert.equal(HDR_AUTHOR, 1)
  assert.equal(HDR_PSIG, 2)
  assert.equal(ZERO_PARENT.length, 64)
  const f = chain(1)
  assert.ok(isFeed(f) && Feed.isFeed(f) && !isFeed(f.first) && !isFeed(null))
  assert.ok(isBlock(f.first) && Feed.isBlock(f.first) && !isBlock(f) && !isBlock(undefined))
  assert.equal((f as unknown as Record<symbol, unknown>)[symFeed], 8)
  assert.equal((f.first as unknown as Record<symbol, unknown>)[symBlock], 8)
})

test('append: body rules and large bodies', () => {
  const f = new Feed(4)
  assert.throws(() => f.append('', sk), RangeError)
  assert.throws(() => f.append(new Uint8Array(0), sk), RangeError)
  assert.throws(() => f.append(new Uint8Array([0, 1]), sk), RangeError)
  const big = new Uint8Array(100000).fill(7)
  assert.equal(f.append(big, sk), 1)
  assert.equal(f.first!.size, 100000)
  assert.equal(f.first!.blockSize, 64 + 3 + 34 + 100000)
  assert.equal(Feed.from(f.buffer).first!.size, 100000)
})

/** Wrong-typed inputs of every public function: TypeError/RangeError, never a FeedError. */
test('typed-error table for wrong-typed inputs', () => {
  const f = chain(2)
  const b = f.first!
  const cases: Array<[string, () => unknown]> = [
    ['new Feed("x")', () => new Feed('x' as never)],
    ['new Feed(null)', () => new Feed(null as never)],
    ['new Feed({})', () => new Feed({} as never)],
    ['new Feed(0)', () => new Feed(0)],
    ['new Feed(-1)', () => new Feed(-1)],
    ['new Feed(1.5)', () => new Feed(1.5)],
    ['new Feed(NaN)', () => new Feed(NaN)],
    ['feedFrom(0)', () => feedFrom(0 as never)],
    ['feedFrom(null)', () => feedFrom(null as never)],
    ['feedFrom(undefined)', () => feedFrom(undefined as never)],
    ['feedFrom("str")', () => feedFrom('str' as never)],
    ['feedFrom({})', () => feedFrom({} as never)],
    ['feedFrom([1])', () => feedFrom([1] as never)],
    ['feedFrom([b, {}])', () => feedFrom([b, {}] as never)],
    ['append(123)', () => f.clone().append(123 as never, sk)],
    ['append(null)', () => f.clone().append(null as never, sk)],
    ['append([1])', () => f.clone().append([1] as never, sk)],
    ['append("")', () => f.clone().append('', sk)],
    ['append(x, 123)', () => f.clone().append('x', 123 as never)],
    ['append(x, null)', () => f.clone().append('x', null as never)],
    ['append(x, "abc")', () => f.clone().append('x', 'abc')],
    ['append(x, non-hex)', () => f.clone().append('x', 'zz'.repeat(32))],
    ['append(x, 31 bytes)', () => f.clone().append('x', new Uint8Array(31))],
    ['append(x, 64 bytes)', () => f.clone().append('x', new Uint8Array(64))],
    ['block("1")', () => f.block('1' as never)],
    ['block(1.5)', () => f.block(1.5)],
    ['truncate("1")', () => f.clone().truncate('1' as never)],
    ['truncate(NaN)', () => f.clone().truncate(NaN)],
    ['slice("a")', () => f.slice('a' as never)],
    ['slice(0, 1.5)', () => f.slice(0, 1.5)],
    ['diff(null)', () => f.diff(null as never)],
    ['diff(1)', () => f.diff(1 as never)],
    ['merge("x")', () => f.merge('x' as never)],
    ['merge(f, 1)', () => f.clone().merge(f, 1 as never)],
    ['inspect(1)', () => f.inspect(1 as never)],
    ['new Block(null)', () => new Block(null as never)],
    ['new Block("x")', () => new Block('x' as never)],
    ['new Block(bytes, -1)', () => new Block(f.buffer, -1)],
    ['new Block(bytes, 1.5)', () => new Block(f.buffer, 1.5)],
    ['verify(123)', () => b.verify(123 as never)],
    ['verify("ab")', () => b.verify('ab')],
    ['verify(31 bytes)', () => b.verify(new Uint8Array(31))],
    ['getPublicKey(null)', () => getPublicKey(null as never)],
    ['getPublicKey(1)', () => getPublicKey(1 as never)],
    ['getPublicKey("abc")', () => getPublicKey('abc')],
    ['getPublicKey(64 bytes)', () => getPublicKey(new Uint8Array(64))],
    ['toHex(null)', () => toHex(null as never)],
    ['toHex("ab")', () => toHex('ab' as never)],
    ['toHex([1])', () => toHex([1] as never)],
    ['fromHex(1)', () => fromHex(1 as never)],
    ['fromHex("abc")', () => fromHex('abc')],
    ['fromHex("zz")', () => fromHex('zz')],
    ['s2b(1)', () => s2b(1 as never)],
    ['b2s("x")', () => b2s('x' as never)],
    ['cmp(null, b)', () => cmp(null as never, b.sig)],
    ['cmp(b, "x")', () => cmp(b.sig, 'x' as never)],
    ['compare(1, 2)', () => compare(1 as never, 2 as never)],
    ['cpy(null, b)', () => cpy(null as never, b.sig)],
    ['cpy(small, big)', () => cpy(new Uint8Array(2), new Uint8Array(3))],
    ['toU8(null)', () => toU8(null)],
    ['toU8(undefined)', () => toU8(undefined)],
    ['toU8(1)', () => toU8(1)],
    ['toU8({})', () => toU8({})],
    ['toU8("abc") odd hex', () => fromHex('abc')],
    ['au8("x")', () => au8('x')],
    ['au8(wrong length)', () => au8(new Uint8Array(3), 4)],
    ['varintEncode("1")', () => varintEncode('1' as never)],
    ['varintEncode(-1)', () => varintEncode(-1)],
    ['varintEncode(1.5)', () => varintEncode(1.5)],
    ['varintEncode(2^28)', () => varintEncode(2 ** 28)],
    ['varintEncode(1, "x")', () => varintEncode(1, 'x' as never)],
    ['varintDecode(null)', () => varintDecode(null as never)],
    ['varintDecode(bytes, -1)', () => varintDecode(new Uint8Array(2), -1)],
    ['hexdump(null)', () => hexdump(null as never)],
    ['hexdump(1)', () => hexdump(1 as never)],
    ['setEd25519({})', () => setEd25519({} as never)],
    ['setEd25519(1)', () => setEd25519(1 as never)],
    ['webCryptoBatchVerifier(undefined subtle)', () => webCryptoBatchVerifier(null as never)]
  ]
  for (const [name, fn] of cases) {
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof TypeError || e instanceof RangeError, `${name}: ${String(e)}`)
      assert.doesNotMatch((e as Error).message, /Cannot read properties|is not a function|undefined \(reading/, `${name}: unchecked input`)
      return true
    }, name)
  }
})
