// Set reconciliation of chain heads (PROTOCOL.md, "Reconciliation"): the session learns exactly
// the peer's head of each of our chains, its bytes follow the difference (200k chains apart by
// a few), every parser gives a typed rejection on any input, and a peer that splits forever or
// replies out of turn is bounded or dropped.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { toHex } from '../../src/feed/index.js'
import { MAX_QUEUE_BYTES, RECON_LIST_MAX, RECON_MAX_NODES, RECON_MAX_QUERIES, RECON_SUMMARY_MAX } from '../../src/kernel/constants.js'
import { KernelError } from '../../src/kernel/errors.js'
import { decodeMessage, encodeSummary } from '../../src/kernel/protocol.js'
import type { Summary, SummaryEntry } from '../../src/kernel/protocol.js'
import { Answers, ReconIndex, ReconSession, answerQuery, answerSummary, decodeRecon, encodeRecon, isSummary } from '../../src/kernel/recon.js'
import type { QueryNode, Recon } from '../../src/kernel/recon.js'
import { SyncNode } from '../../src/kernel/node.js'
import { planSync } from '../../src/kernel/sync.js'
import type { LocalChain } from '../../src/kernel/sync.js'
import type { BlockSource, IngestResult, SyncAnswer } from '../../src/kernel/types.js'
import { meter } from './helpers.js'
import { MemSource } from './memsource.js'
import { RawPeer } from './raw.js'
import '../helpers/seed.js'

/** Deterministic pseudo-random entries (xorshift), fast enough for 200k. */
function entries (n: number, seed: number): SummaryEntry[] {
  let x = seed >>> 0 || 1
  const next = (): number => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x }
  const words = new Uint32Array(n * 6)
  for (let i = 0; i < words.length; i++) words[i] = next()
  const bytes = new Uint8Array(words.buffer)
  const out: SummaryEntry[] = []
  for (let i = 0; i < n; i++) out.push({ chainId: bytes.subarray(i * 24, i * 24 + 16), height: next() % 1000, tip: bytes.subarray(i * 24 + 16, i * 24 + 24) })
  return out
}

/** Runs our session against a responder holding `theirs`; returns the summary and bytes both ways. */
function reconcile (ours: SummaryEntry[], theirs: SummaryEntry[] | ReconIndex): { view: Map<string, SummaryEntry>, bytes: number, rounds: number } {
  const session = new ReconSession(ReconIndex.from(ours))
  const peer = theirs instanceof ReconIndex ? theirs : ReconIndex.from(theirs)
  let bytes = 0
  let rounds = 0
  let batches = session.open()
  const first = batches[0]
  if (first !== undefined && isSummary(first)) {
    // few chains: the opening is a summary, answered like a listed node
    const enc = encodeSummary(first[0].entries)
    const summary = (decodeMessage(enc) as { summary: Summary }).summary
    const reply = encodeRecon({ kind: 'reply', nodes: [answerSummary(peer, summary)] })
    bytes += enc.length + reply.length
    rounds++
    batches = session.onReply((decodeRecon(reply) as Extract<Recon, { kind: 'reply' }>).nodes)
    assert.equal(batches.length, 0)
  }
  while (batches.length > 0) {
    rounds++
    const next: QueryNode[][] = []
    for (const nodes of batches) {
      const q = encodeRecon({ kind: 'query', nodes })
      bytes += q.length
      const decoded = decodeRecon(q) as Extract<Recon, { kind: 'query' }>
      const reply = encodeRecon({ kind: 'reply', nodes: answerQuery(peer, decoded.nodes) })
      bytes += reply.length
      next.push(...session.onReply((decodeRecon(reply) as Extract<Recon, { kind: 'reply' }>).nodes))
    }
    batches = next
  }
  assert.ok(session.done)
  const view = new Map<string, SummaryEntry>()
  for (const e of session.summary()) view.set(toHex(e.chainId), e)
  return { view, bytes, rounds }
}

/** What the session must learn: the peer's entry of each of our chains it holds. */
function truth (ours: SummaryEntry[], theirs: SummaryEntry[]): Map<string, SummaryEntry> {
  const t = new Map(theirs.map(e => [toHex(e.chainId), e]))
  const out = new Map<string, SummaryEntry>()
  for (const e of ours) { const p = t.get(toHex(e.chainId)); if (p !== undefined) out.set(toHex(e.chainId), p) }
  return out
}

function sameView (a: Map<string, SummaryEntry>, b: Map<string, SummaryEntry>): void {
  assert.equal(a.size, b.size)
  for (const [k, e] of b) {
    const got = a.get(k)
    assert.ok(got !== undefined, `missing ${k}`)
    assert.equal(got.height, e.height)
    assert.equal(toHex(got.tip), toHex(e.tip))
  }
}

test('the session learns exactly the peer\'s head of each of our chains (random sets, shared, moved, missing and extra chains)', () => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 2 ** 31 }),
    (shared, moved, onlyOurs, onlyTheirs, seed) => {
      const base = entries(shared + moved + onlyOurs + onlyTheirs, seed)
      const common = base.slice(0, shared)
      const movedOurs = base.slice(shared, shared + moved)
      const movedTheirs = movedOurs.map(e => ({ ...e, height: e.height + 1, tip: e.tip.map(b => b ^ 0x55) }))
      const ours = [...common, ...movedOurs, ...base.slice(shared + moved, shared + moved + onlyOurs)]
      const theirs = [...common, ...movedTheirs, ...base.slice(shared + moved + onlyOurs)]
      const { view } = reconcile(ours, theirs)
      sameView(view, truth(ours, theirs))
      // and planSync on the view sends exactly the moved and the missing chains
      const local = ours.map(e => ({ chainId: e.chainId, height: e.height, tip: e.tip }))
      const needs = planSync(local, [...view.values()])
      assert.equal(needs.length, onlyOurs + movedOurs.filter((e, i) => (movedTheirs[i] as SummaryEntry).height < e.height).length)
    }), { numRuns: 40 })
})

test('200k chains apart by a few: the bytes follow the difference, not the chains', { timeout: 300_000 }, (t) => {
  const base = entries(200_000, 7)
  const theirs = ReconIndex.from(base)
  const ours = base.slice()
  for (const i of [3, 77_777, 150_001]) ours[i] = { ...(ours[i] as SummaryEntry), height: (ours[i] as SummaryEntry).height + 5, tip: new Uint8Array(8).fill(i & 255) }
  ours.push(...entries(2, 99)) // two chains the peer lacks
  const few = reconcile(ours, theirs)
  sameView(few.view, truth(ours, base))
  const summaryBytes = 200_000 * 27
  assert.ok(few.bytes < 5 * 4096, `${few.bytes} bytes for 5 differences (a summary would be ${summaryBytes})`)
  // ten times the difference costs about ten times the bytes
  const more = ours.slice()
  for (let i = 0; i < 45; i++) { const k = 1000 + i * 4000; more[k] = { ...(more[k] as SummaryEntry), tip: new Uint8Array(8).fill(200) } }
  const tenfold = reconcile(more, theirs)
  sameView(tenfold.view, truth(more, base))
  assert.ok(tenfold.bytes > 4 * few.bytes && tenfold.bytes < 20 * few.bytes, `${few.bytes} bytes for 5, ${tenfold.bytes} for 50`)
  assert.ok(few.rounds <= 5, `${few.rounds} rounds`)
  t.diagnostic(`200k chains: ${few.bytes} bytes in ${few.rounds} rounds for 5 differences, ${tenfold.bytes} for 50 (a summary: ${summaryBytes})`)
  // identical sets: one fingerprint each way
  assert.ok(reconcile(base, theirs).bytes < 64)
})

test('few chains open with a summary; none opens nothing', () => {
  assert.deepEqual(new ReconSession(ReconIndex.from([])).open(), [])
  const first = new ReconSession(ReconIndex.from(entries(RECON_SUMMARY_MAX, 3))).open()
  assert.ok(first.length === 1 && isSummary(first[0] as QueryNode[]))
  const big = new ReconSession(ReconIndex.from(entries(RECON_SUMMARY_MAX + 1, 3))).open()
  assert.ok(big.length === 1 && !isSummary(big[0] as QueryNode[]) && (big[0] as QueryNode[])[0]?.mode === 'fp')
})

const node = fc.integer({ min: 0, max: 32 }).chain(depth => fc.uint8Array({ minLength: Math.ceil(depth / 2), maxLength: Math.ceil(depth / 2) }).map(prefix => {
  if ((depth & 1) === 1) prefix[prefix.length - 1] = (prefix[prefix.length - 1] as number) & 0xf0
  return { depth, prefix }
}))
const entry = fc.record({
  chainId: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  height: fc.integer({ min: 0, max: 2 ** 28 - 1 }),
  tip: fc.uint8Array({ minLength: 8, maxLength: 8 })
})
const queryNode: fc.Arbitrary<QueryNode> = fc.oneof(
  fc.tuple(node, fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat({ max: 2 ** 28 - 1 })).map(([n, sum, count]) => ({ ...n, mode: 'fp' as const, sum, count })),
  fc.tuple(node, fc.array(entry, { maxLength: RECON_LIST_MAX })).map(([n, entries]) => ({ ...n, mode: 'list' as const, entries }))
)
const recon: fc.Arbitrary<Recon> = fc.oneof(
  fc.array(queryNode, { maxLength: 20 }).map(nodes => ({ kind: 'query' as const, nodes })),
  fc.array(fc.oneof(
    fc.constant({ mode: 'equal' as const }),
    fc.array(entry, { maxLength: RECON_LIST_MAX }).map(entries => ({ mode: 'list' as const, entries })),
    fc.tuple(fc.uint8Array({ minLength: 256, maxLength: 256 }), fc.array(fc.nat({ max: 2 ** 28 - 1 }), { minLength: 16, maxLength: 16 })).map(([sums, counts]) => ({ mode: 'split' as const, sums, counts })),
    fc.array(fc.record({ index: fc.nat({ max: 5000 }), height: fc.integer({ min: -1, max: 2 ** 27 }), tip: fc.uint8Array({ minLength: 8, maxLength: 8 }) }), { maxLength: 40 })
      .map(items => ({ mode: 'answer' as const, items: Answers.of(items) }))
  ), { maxLength: 20 }).map(nodes => ({ kind: 'reply' as const, nodes }))
)

test('recon messages round-trip', () => {
  fc.assert(fc.property(recon, m => {
    const enc = encodeRecon(m)
    const d = decodeMessage(enc)
    assert.equal(d.type, 'recon')
    assert.deepEqual(encodeRecon((d as { recon: Recon }).recon), enc)
  }))
})

function typed (f: () => unknown): void {
  try {
    f()
  } catch (err) {
    assert.ok(err instanceof KernelError && err.code === 'ProtocolError', String(err))
  }
}

test('any bytes, and mutated or truncated recon messages, decode or give a ProtocolError', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), body => { typed(() => decodeMessage(Uint8Array.of(0x08, ...body))) }), { numRuns: 2000 })
  fc.assert(fc.property(recon, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(), (m, at, v, cut) => {
    const enc = encodeRecon(m)
    const mutated = enc.slice()
    mutated[1 + (at % (enc.length - 1))] = v
    typed(() => decodeMessage(mutated))
    typed(() => decodeMessage(enc.subarray(0, 1 + (cut % enc.length))))
  }))
})

test('recon bounds: too many nodes, too many entries, too deep, bits past the depth', () => {
  assert.throws(() => encodeRecon({ kind: 'reply', nodes: Array.from({ length: RECON_MAX_NODES + 1 }, () => ({ mode: 'equal' as const })) }), RangeError)
  assert.throws(() => encodeRecon({ kind: 'reply', nodes: [{ mode: 'list', entries: entries(RECON_LIST_MAX + 1, 1) }] }), RangeError)
  const many = new Uint8Array(4 + RECON_MAX_NODES + 1)
  many.set([0x08, 1, 0x81, 0x08]) // count 1025
  typed(() => { decodeMessage(many); assert.fail('accepted') })
  const deep = Uint8Array.of(0x08, 0, 1, 33, ...new Uint8Array(17), 0, ...new Uint8Array(16), 0)
  typed(() => { decodeMessage(deep); assert.fail('accepted') })
  const stray = Uint8Array.of(0x08, 0, 1, 1, 0x1f, 0, ...new Uint8Array(16), 0)
  typed(() => { decodeMessage(stray); assert.fail('accepted') })
  // a valid node of depth 1 decodes
  assert.equal(decodeMessage(Uint8Array.of(0x08, 0, 1, 1, 0x10, 0, ...new Uint8Array(16), 0)).type, 'recon')
})

test('a reply that does not fit its query is a ProtocolError', () => {
  const ours = entries(RECON_SUMMARY_MAX + 100, 5)
  const s = new ReconSession(ReconIndex.from(ours))
  s.open()
  assert.throws(() => s.onReply([{ mode: 'equal' }, { mode: 'equal' }]), (e: unknown) => e instanceof KernelError && e.code === 'ProtocolError')
  const t = new ReconSession(ReconIndex.from(ours))
  t.open()
  assert.throws(() => t.onReply([{ mode: 'answer', items: Answers.of([]) }]), (e: unknown) => e instanceof KernelError && e.code === 'ProtocolError')
  assert.throws(() => t.onReply([{ mode: 'equal' }]), (e: unknown) => e instanceof KernelError && e.code === 'ProtocolError') // nothing pending any more
  const small = new ReconSession(ReconIndex.from(entries(10, 5)))
  small.open()
  assert.throws(() => small.onReply([{ mode: 'answer', items: Answers.of([{ index: 10, height: -1 }]) }]), (e: unknown) => e instanceof KernelError && e.code === 'ProtocolError')
})

test('a responder that splits forever cannot take a session past the deepest node', () => {
  const ours = entries(RECON_SUMMARY_MAX + 1, 11)
  const s = new ReconSession(ReconIndex.from(ours))
  let batches = s.open()
  let rounds = 0
  const fake = { mode: 'split' as const, sums: new Uint8Array(256).fill(1), counts: new Array(16).fill(1000) }
  while (batches.length > 0) {
    rounds++
    assert.ok(rounds < 40, 'bounded by the depth')
    const next: QueryNode[][] = []
    for (const nodes of batches) {
      // split every fingerprint, answer every list with "no difference"
      try {
        next.push(...s.onReply(nodes.map(q => q.mode === 'fp' ? fake : { mode: 'answer' as const, items: Answers.of([]) })))
      } catch (err) {
        assert.ok(err instanceof KernelError && err.code === 'ProtocolError')
        return
      }
    }
    batches = next
  }
  assert.ok(s.done)
})

test('a peer sending endless queries is dropped with Flood after RECON_MAX_QUERIES; out-of-turn replies are a ProtocolError', { timeout: 60_000 }, async () => {
  const node = new MemSource().node
  const raw = await RawPeer.open(node.spawnWire())
  await raw.greet()
  const q = encodeRecon({ kind: 'query', nodes: Array.from({ length: 64 }, (_, i) => ({ depth: 2, prefix: Uint8Array.of(i * 4), mode: 'fp' as const, sum: new Uint8Array(16), count: 5 })) })
  let replies = 0
  raw.on(m => { if (m[0] === 0x08 && m[1] === 1) replies++ })
  assert.ok((RECON_MAX_QUERIES + 1) * (q.length + 64) < MAX_QUEUE_BYTES, 'all within one window')
  for (let i = 0; i <= RECON_MAX_QUERIES; i++) await raw.plug.postMessage(q)
  const err = await raw.plug.closed
  assert.ok(err instanceof KernelError && err.code === 'Flood', String(err))
  assert.equal(replies, RECON_MAX_QUERIES, 'every query before the limit was answered')

  const other = await RawPeer.open(node.spawnWire())
  await other.greet()
  await other.plug.postMessage(encodeRecon({ kind: 'reply', nodes: [{ mode: 'equal' }] }))
  const err2 = await other.plug.closed
  assert.ok(err2 instanceof KernelError && err2.code === 'ProtocolError', String(err2))
  await node.close()
})

/** A source of synthetic chains (no blocks): records the summary its peer's query produced. */
class Heads implements BlockSource {
  readonly node: SyncNode
  readonly heads: SummaryEntry[]
  got: Summary | undefined
  readonly queried: Promise<Summary>
  #resolve: (s: Summary) => void = () => {}
  constructor (heads: SummaryEntry[]) {
    this.heads = heads
    this.node = new SyncNode(this)
    this.queried = new Promise(resolve => { this.#resolve = resolve })
  }

  async chains (): Promise<LocalChain[]> { return this.heads.map(h => ({ chainId: h.chainId, height: h.height, tip: h.tip })) }
  async place (): Promise<undefined> { return undefined }
  async head (): Promise<undefined> { return undefined }
  async * range (): AsyncGenerator<never> {}
  query (summary: Summary): SyncAnswer { this.#resolve(summary); return [] }
  async ingest (): Promise<IngestResult> { return { accepted: [] } }
}

test('two nodes of 200k chains apart by a few connect without a drop and exchange bytes that follow the difference', { timeout: 300_000 }, async (t) => {
  const base = entries(200_000, 21)
  const ours = base.slice()
  for (const i of [10, 100_010]) ours[i] = { ...(ours[i] as SummaryEntry), height: (ours[i] as SummaryEntry).height + 1, tip: new Uint8Array(8).fill(9) }
  ours.push(...entries(3, 5))
  const a = new Heads(ours)
  const b = new Heads(base)
  const m = meter(a.node.spawnWire(), b.node.spawnWire())
  const [sa, sb] = await Promise.all([a.queried, b.queried])
  // a learns b's head of its moved chains and that b lacks its 3 new ones; b, that a is ahead or equal
  const needs = planSync(await a.chains(), sa)
  assert.equal(needs.length, 2 + 3)
  assert.equal(planSync(await b.chains(), sb).length, 0)
  assert.equal(a.node.peers.length, 1)
  t.diagnostic(`two nodes of 200k chains, 5 differences: ${m.bytes} bytes on the wire in ${m.messages} messages`)
  assert.ok(m.bytes < 40_000, `${m.bytes} bytes on the wire (a summary of 200k chains: ${27 * 200_000})`)
  await a.node.close()
  await b.node.close()
})
