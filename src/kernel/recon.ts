// Set reconciliation of chain heads (PROTOCOL.md, "Reconciliation"): each side learns the
// peer's head of every chain it holds, at a cost in bytes that follows the difference, not the
// number of chains. Chains are placed in a 16-ary trie over their 16-byte id prefix; a node's
// fingerprint is the sum of its entries (mod 2^128) and their count, so any node's is read
// from prefix sums in O(log n). Pure: encoders, decoders, the responder and the initiator's
// state machine; the connection (peer.ts) moves the bytes.
import { varintDecode, varintEncode, varintLength } from '../feed/index.js'
import {
  MAX_SUMMARY_ENTRIES, MSG_RECON, RECON_LIST_MAX, RECON_MAX_DEPTH, RECON_MAX_NODES, RECON_SUMMARY_MAX, SUMMARY_CHAIN_BYTES,
  SUMMARY_TIP_BYTES
} from './constants.js'
import { KernelError } from './errors.js'
import { Summary } from './protocol.js'
import type { SummaryEntry } from './protocol.js'

/** A chain's head as reconciled: 16-byte id prefix, height, 8-byte tip prefix. */
export type ReconEntry = SummaryEntry

/** A trie node: the chains whose id starts with the first `depth` nibbles of `prefix`. */
export interface ReconNode {
  /** Nibbles fixed, 0..32. */
  depth: number
  /** The nibbles, `ceil(depth / 2)` bytes (the unused low nibble of an odd depth is 0). */
  prefix: Uint8Array
}

/** A node of a query: the sender's fingerprint of it, or its entries in it. */
export type QueryNode = ReconNode & (
  | {
    /** Fingerprint: sum of the entries' values mod 2^128 (16 bytes) and their count. */
    mode: 'fp'
    /** Sum of the entries' values mod 2^128, 16 bytes little-endian. */
    sum: Uint8Array
    /** Number of entries. */
    count: number
  }
  | {
    /** The sender's entries in the node (at most `RECON_LIST_MAX`). */
    mode: 'list'
    /** The entries. */
    entries: ReconEntry[]
  })

/** The answer to one query node, in the order of the query. */
export type ReplyNode =
  | {
    /** The node's fingerprints match. */
    mode: 'equal'
  }
  | {
    /** All the responder's entries in the node (at most `RECON_LIST_MAX`). */
    mode: 'list'
    /** The entries. */
    entries: ReconEntry[]
  }
  | {
    /** The responder's fingerprints of the node's 16 children. */
    mode: 'split'
    /** 16 sums of 16 bytes, in nibble order. */
    sums: Uint8Array
    /** 16 counts, in nibble order. */
    counts: number[]
  }
  | {
    /**
     * For a listed query node: the listed chains the responder holds otherwise (`height` and
     * `tip`) or not at all (`height` -1); chains not named are held identically.
     */
    mode: 'answer'
    /** The named entries. */
    items: Answers
  }

/** The items of an `answer`, in typed arrays (no object per item: an answer can name 100k). */
export class Answers {
  /** Index of each named entry in the listing. */
  readonly index: Uint32Array
  /** The responder's height of it, -1 when it lacks the chain. */
  readonly height: Int32Array
  /** The responder's tip prefix of it, 8 bytes per item (zeros when it lacks the chain). */
  readonly tips: Uint8Array

  /** @internal use {@link Answers.of} or the decoder */
  constructor (index: Uint32Array, height: Int32Array, tips: Uint8Array) {
    this.index = index
    this.height = height
    this.tips = tips
  }

  /** Items from objects (tests, hand-made replies). */
  static of (items: ReadonlyArray<{ index: number, height: number, tip?: Uint8Array }>): Answers {
    const tips = new Uint8Array(items.length * SUMMARY_TIP_BYTES)
    items.forEach((it, i) => { if (it.height >= 0 && it.tip !== undefined) tips.set(it.tip.subarray(0, SUMMARY_TIP_BYTES), i * SUMMARY_TIP_BYTES) })
    return new Answers(Uint32Array.from(items, it => it.index), Int32Array.from(items, it => it.height), tips)
  }

  /** Number of items. */
  get length (): number { return this.index.length }

  /** Tip prefix of item `i` (a view). */
  tipAt (i: number): Uint8Array { return this.tips.subarray(i * SUMMARY_TIP_BYTES, (i + 1) * SUMMARY_TIP_BYTES) }
}

/** A decoded `recon` message. */
export type Recon =
  | {
    /** A query of the sender's own reconciliation. */
    kind: 'query'
    /** Its nodes. */
    nodes: QueryNode[]
  }
  | {
    /** The reply to the receiver's oldest unanswered query. */
    kind: 'reply'
    /** One per node of that query, in order. */
    nodes: ReplyNode[]
  }

const QUERY = 0
const REPLY = 1
const M_FP = 0
const M_LIST = 1
const M_EQUAL = 0
const M_SPLIT = 2
const M_ANSWER = 3
const ENTRY_MIN = SUMMARY_CHAIN_BYTES + 1 + SUMMARY_TIP_BYTES

function bad (message: string): KernelError {
  return new KernelError('ProtocolError', `recon: ${message}`)
}

// ── the local index ─────────────────────────────────────────────────────────────────────────

/**
 * Our chains sorted by id prefix, with prefix sums of their values: a node's range is found
 * by binary search and its fingerprint by one subtraction.
 */
export class ReconIndex {
  /** Sorted 16-byte id prefixes, 16 bytes per chain. */
  readonly ids: Uint8Array
  /** Heights, in the same order. */
  readonly heights: Uint32Array
  /** 8-byte tip prefixes, in the same order. */
  readonly tips: Uint8Array
  /** (n + 1) x 4 little-endian u32 lanes: the sum of the values before each position. */
  readonly #sums: Uint32Array

  private constructor (ids: Uint8Array, heights: Uint32Array, tips: Uint8Array) {
    this.ids = ids
    this.heights = heights
    this.tips = tips
    const n = heights.length
    const sums = new Uint32Array((n + 1) * 4)
    const v = new Uint32Array(4)
    for (let i = 0; i < n; i++) {
      valueOf(ids, heights, tips, i, v)
      let carry = 0
      for (let l = 0; l < 4; l++) {
        const s = (sums[i * 4 + l] as number) + (v[l] as number) + carry
        sums[(i + 1) * 4 + l] = s >>> 0
        carry = s > 0xffffffff ? 1 : 0
      }
    }
    this.#sums = sums
  }

  /**
   * @param entries - the chains (ids and tips of at least 16 and 8 bytes; only the prefixes count)
   * @returns the index
   */
  static from (entries: readonly ReconEntry[]): ReconIndex {
    // Sorted on the first 4 bytes as a number, the rest only on ties.
    const hi = new Uint32Array(entries.length)
    entries.forEach((e, i) => { hi[i] = word32be(e.chainId) })
    const order = Array.from({ length: entries.length }, (_, i) => i)
    const key = (i: number): Uint8Array => (entries[i] as ReconEntry).chainId
    order.sort((a, b) => ((hi[a] as number) - (hi[b] as number)) || comparePrefix(key(a), key(b)))
    const n = entries.length
    const ids = new Uint8Array(n * SUMMARY_CHAIN_BYTES)
    const heights = new Uint32Array(n)
    const tips = new Uint8Array(n * SUMMARY_TIP_BYTES)
    order.forEach((o, i) => {
      const e = entries[o] as ReconEntry
      ids.set(e.chainId.subarray(0, SUMMARY_CHAIN_BYTES), i * SUMMARY_CHAIN_BYTES)
      heights[i] = e.height
      tips.set(e.tip.subarray(0, SUMMARY_TIP_BYTES), i * SUMMARY_TIP_BYTES)
    })
    return new ReconIndex(ids, heights, tips)
  }

  /** Number of chains. */
  get length (): number { return this.heights.length }

  /** Entry `i` (views). */
  at (i: number): ReconEntry {
    return {
      chainId: this.ids.subarray(i * SUMMARY_CHAIN_BYTES, (i + 1) * SUMMARY_CHAIN_BYTES),
      height: this.heights[i] as number,
      tip: this.tips.subarray(i * SUMMARY_TIP_BYTES, (i + 1) * SUMMARY_TIP_BYTES)
    }
  }

  /** The positions `[lo, hi)` of the node's chains. */
  range (node: ReconNode): [number, number] {
    const n = this.length
    let lo = 0
    let hi = n
    while (lo < hi) { const m = (lo + hi) >>> 1; if (this.#cmpNode(m, node) < 0) lo = m + 1; else hi = m }
    const start = lo
    hi = n
    while (lo < hi) { const m = (lo + hi) >>> 1; if (this.#cmpNode(m, node) <= 0) lo = m + 1; else hi = m }
    return [start, lo]
  }

  /** Fingerprint of positions `[lo, hi)`: 16 bytes of sum. */
  sum (lo: number, hi: number): Uint8Array {
    const out = new Uint32Array(4)
    let borrow = 0
    for (let l = 0; l < 4; l++) {
      const d = (this.#sums[hi * 4 + l] as number) - (this.#sums[lo * 4 + l] as number) - borrow
      out[l] = d >>> 0
      borrow = d < 0 ? 1 : 0
    }
    return lanesToBytes(out)
  }

  /** Position of a chain by its 16-byte id prefix, or -1. */
  find (chainId: Uint8Array): number {
    let lo = 0
    let hi = this.length
    while (lo < hi) {
      const m = (lo + hi) >>> 1
      const c = comparePrefix(this.ids.subarray(m * SUMMARY_CHAIN_BYTES, (m + 1) * SUMMARY_CHAIN_BYTES), chainId)
      if (c === 0) return m
      if (c < 0) lo = m + 1; else hi = m
    }
    return -1
  }

  /** Whether entry `i` has this height and tip. */
  same (i: number, height: number, tip: Uint8Array): boolean {
    if (this.heights[i] !== height) return false
    for (let k = 0; k < SUMMARY_TIP_BYTES; k++) if (this.tips[i * SUMMARY_TIP_BYTES + k] !== tip[k]) return false
    return true
  }

  /** Compares the id at position `i` with the node's prefix over its depth. */
  #cmpNode (i: number, node: ReconNode): number {
    const base = i * SUMMARY_CHAIN_BYTES
    for (let d = 0; d < node.depth; d++) {
      const byte = this.ids[base + (d >> 1)] as number
      const a = (d & 1) === 0 ? byte >> 4 : byte & 15
      const pb = node.prefix[d >> 1] as number
      const b = (d & 1) === 0 ? pb >> 4 : pb & 15
      if (a !== b) return a < b ? -1 : 1
    }
    return 0
  }
}

const word32be = (b: Uint8Array): number => ((b[0] as number) << 24 | (b[1] as number) << 16 | (b[2] as number) << 8 | (b[3] as number)) >>> 0

function comparePrefix (a: Uint8Array, b: Uint8Array): number {
  for (let k = 0; k < SUMMARY_CHAIN_BYTES; k++) {
    const x = a[k] as number
    const y = b[k] as number
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

const word = (b: Uint8Array, p: number): number => ((b[p] as number) | (b[p + 1] as number) << 8 | (b[p + 2] as number) << 16 | (b[p + 3] as number) << 24) >>> 0

/**
 * The value an entry adds to its nodes' sums: the id prefix mixed with the tip (two lanes, a
 * bijection for a given id) and the height (an odd multiplier, a bijection too), so a chain
 * whose head moved changes every fingerprint above it.
 */
function valueOf (ids: Uint8Array, heights: Uint32Array, tips: Uint8Array, i: number, out: Uint32Array): void {
  const p = i * SUMMARY_CHAIN_BYTES
  const t = i * SUMMARY_TIP_BYTES
  const t0 = word(tips, t)
  const t1 = word(tips, t + 4)
  out[0] = (word(ids, p) ^ t0) >>> 0
  out[1] = (word(ids, p + 4) ^ t1) >>> 0
  out[2] = (word(ids, p + 8) ^ Math.imul(heights[i] as number, 0x9e3779b1)) >>> 0
  out[3] = (word(ids, p + 12) ^ t0 ^ Math.imul(t1, 0x85ebca6b)) >>> 0
}

function lanesToBytes (lanes: Uint32Array): Uint8Array {
  const out = new Uint8Array(16)
  for (let l = 0; l < 4; l++) {
    const v = lanes[l] as number
    out[l * 4] = v & 255; out[l * 4 + 1] = (v >>> 8) & 255; out[l * 4 + 2] = (v >>> 16) & 255; out[l * 4 + 3] = v >>> 24
  }
  return out
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Whether a query is one listed root node: all the sender's chains, sent as a `summary`. */
export function isSummary (nodes: readonly QueryNode[]): nodes is [QueryNode & { mode: 'list' }] {
  const q = nodes[0]
  return nodes.length === 1 && q !== undefined && q.depth === 0 && q.mode === 'list'
}

/** The 16 children of a node. */
function children (node: ReconNode): ReconNode[] {
  const depth = node.depth + 1
  return Array.from({ length: 16 }, (_, nib) => {
    const prefix = new Uint8Array(Math.ceil(depth / 2))
    prefix.set(node.prefix.subarray(0, prefix.length))
    const k = node.depth >> 1
    prefix[k] = (node.depth & 1) === 0 ? nib << 4 : ((prefix[k] as number) & 0xf0) | nib
    return { depth, prefix }
  })
}

const ROOT: ReconNode = { depth: 0, prefix: new Uint8Array(0) }

// ── the responder ───────────────────────────────────────────────────────────────────────────

/**
 * Answers a peer's query from our index: per node, `equal`, our entries (`list`) when few or
 * at full depth, otherwise our fingerprints of its 16 children (`split`); per listed node, the
 * listed chains we hold otherwise or not at all (`answer`). O(log n) per node and per listed
 * entry; the reply is at most `RECON_LIST_MAX` entries or 16 fingerprints per node.
 *
 * @param index - our chains
 * @param nodes - the peer's query
 * @returns the reply, node for node
 */
export function answerQuery (index: ReconIndex, nodes: readonly QueryNode[]): ReplyNode[] {
  return nodes.map((q): ReplyNode => {
    if (q.mode === 'list') {
      const es = q.entries
      return answerList(index, es.length, i => (es[i] as ReconEntry).chainId, i => (es[i] as ReconEntry).height, i => (es[i] as ReconEntry).tip)
    }
    const [lo, hi] = index.range(q)
    if (hi - lo === q.count && sameBytes(index.sum(lo, hi), q.sum)) return { mode: 'equal' }
    if (hi - lo <= RECON_LIST_MAX || q.depth >= RECON_MAX_DEPTH) {
      const entries: ReconEntry[] = []
      for (let i = lo; i < Math.min(hi, lo + RECON_LIST_MAX); i++) entries.push(index.at(i))
      return { mode: 'list', entries }
    }
    const sums = new Uint8Array(16 * 16)
    const counts: number[] = []
    children(q).forEach((c, k) => {
      const [a, b] = index.range(c)
      sums.set(index.sum(a, b), k * 16)
      counts.push(b - a)
    })
    return { mode: 'split', sums, counts }
  })
}

/**
 * Answers a `summary` (the peer's every chain) like a listed node: the listed chains we hold
 * otherwise or not at all. Reads the summary in place (no object per entry).
 */
export function answerSummary (index: ReconIndex, summary: Summary): ReplyNode {
  return answerList(index, summary.length, i => summary.chainIdAt(i), i => summary.heightAt(i), i => summary.tipAt(i))
}

function answerList (index: ReconIndex, n: number, chainIdAt: (i: number) => Uint8Array, heightAt: (i: number) => number, tipAt: (i: number) => Uint8Array): ReplyNode {
  const idx: number[] = []
  const hts: number[] = []
  const from: number[] = [] // our position, for the tip
  for (let i = 0; i < n; i++) {
    const at = index.find(chainIdAt(i))
    if (at >= 0 && index.same(at, heightAt(i), tipAt(i))) continue
    idx.push(i)
    hts.push(at < 0 ? -1 : index.heights[at] as number)
    from.push(at)
  }
  const tips = new Uint8Array(idx.length * SUMMARY_TIP_BYTES)
  from.forEach((at, k) => { if (at >= 0) tips.set(index.tips.subarray(at * SUMMARY_TIP_BYTES, (at + 1) * SUMMARY_TIP_BYTES), k * SUMMARY_TIP_BYTES) })
  return { mode: 'answer', items: new Answers(Uint32Array.from(idx), Int32Array.from(hts), tips) }
}

// ── the initiator ───────────────────────────────────────────────────────────────────────────

interface Sent { node: ReconNode, mode: 'fp' | 'list', lo: number, hi: number, listed?: number }

/**
 * Our side of the reconciliation we lead: learns the peer's head of each of our chains.
 * `open()` gives the first query; each reply (in order) gives the next queries; once
 * {@link ReconSession.done}, {@link ReconSession.summary} is the peer's view of our chains.
 */
export class ReconSession {
  readonly #index: ReconIndex
  /** Queries sent and not answered, oldest first. */
  readonly #pending: Sent[][] = []
  /** The peer's head of our chain at a position, when not the same as ours (null: absent). */
  readonly #view = new Map<number, { height: number, tip: Uint8Array } | null>()

  /** @param index - our chains (the session reads them, it never changes them) */
  constructor (index: ReconIndex) {
    this.#index = index
  }

  /** True once every query was answered and nothing is left to ask, or the peer's summary came. */
  get done (): boolean { return this.#pending.length === 0 }

  /**
   * The first query: none when we hold no chain (there is nothing to learn); all our chains
   * when they are few (sent as a `summary`, see {@link isSummary}); else our root fingerprint.
   */
  open (): QueryNode[][] {
    const n = this.#index.length
    if (n === 0) return []
    if (n <= RECON_SUMMARY_MAX) {
      const entries: ReconEntry[] = []
      for (let i = 0; i < n; i++) entries.push(this.#index.at(i))
      this.#pending.push([{ node: ROOT, mode: 'list', lo: 0, hi: n, listed: n }])
      return [[{ ...ROOT, mode: 'list', entries }]]
    }
    return this.#batch([this.#ask(ROOT, 0, n)])
  }

  /**
   * Takes the peer's `summary` (all its chains) as the result: the session is done, and the
   * replies still due to our queries are to be ignored.
   */
  adopt (summary: Summary): void {
    this.#pending.length = 0
    this.#view.clear()
    const index = this.#index
    const seen = new Uint8Array(index.length)
    for (let i = 0; i < summary.length; i++) {
      const at = index.find(summary.chainIdAt(i))
      if (at < 0 || seen[at] === 1) continue
      seen[at] = 1
      const tip = summary.tipAt(i)
      if (!index.same(at, summary.heightAt(i), tip)) this.#view.set(at, { height: summary.heightAt(i), tip: tip.slice() })
    }
    for (let i = 0; i < index.length; i++) if (seen[i] === 0) this.#view.set(i, null)
  }

  /**
   * Takes the answer to our oldest unanswered query.
   * @returns the next queries (possibly none)
   * @throws KernelError `ProtocolError` when nothing was asked or the reply does not fit the query
   */
  onReply (nodes: readonly ReplyNode[]): QueryNode[][] {
    const sent = this.#pending.shift()
    if (sent === undefined) throw bad('a reply to no query')
    if (sent.length !== nodes.length) throw bad(`a reply of ${nodes.length} nodes to a query of ${sent.length}`)
    const next: Sent[] = []
    sent.forEach((s, i) => { this.#take(s, nodes[i] as ReplyNode, next) })
    return this.#batch(next)
  }

  /**
   * The peer's entries for our chains: ours where the peer's head is the same, the peer's where
   * it differs, none where the peer lacks the chain. Call once {@link ReconSession.done}.
   */
  summary (): Summary {
    const entries: ReconEntry[] = []
    for (let i = 0; i < this.#index.length; i++) {
      const v = this.#view.get(i)
      const own = this.#index.at(i)
      if (v === undefined) entries.push(own)
      else if (v !== null) entries.push({ chainId: own.chainId, height: v.height, tip: v.tip })
    }
    return Summary.from(entries)
  }

  #ask (node: ReconNode, lo: number, hi: number): Sent {
    return { node, mode: hi - lo <= RECON_LIST_MAX || node.depth >= RECON_MAX_DEPTH - 1 ? 'list' : 'fp', lo, hi }
  }

  #batch (sent: Sent[]): QueryNode[][] {
    const out: QueryNode[][] = []
    for (let i = 0; i < sent.length; i += RECON_MAX_NODES) {
      const part = sent.slice(i, i + RECON_MAX_NODES)
      this.#pending.push(part)
      out.push(part.map(s => {
        if (s.mode === 'list') {
          const entries: ReconEntry[] = []
          for (let k = s.lo; k < Math.min(s.hi, s.lo + RECON_LIST_MAX); k++) entries.push(this.#index.at(k))
          return { ...s.node, mode: 'list', entries }
        }
        return { ...s.node, mode: 'fp', sum: this.#index.sum(s.lo, s.hi), count: s.hi - s.lo }
      }))
    }
    return out
  }

  #take (s: Sent, r: ReplyNode, next: Sent[]): void {
    const index = this.#index
    if (s.mode === 'list') {
      if (r.mode !== 'answer') throw bad(`${r.mode} answers a listed node`)
      const listed = s.listed ?? Math.min(s.hi - s.lo, RECON_LIST_MAX)
      const a = r.items
      for (let k = 0; k < a.length; k++) {
        const i = a.index[k] as number
        const h = a.height[k] as number
        if (i >= listed) throw bad('an answer names an entry that was not listed')
        this.#view.set(s.lo + i, h < 0 ? null : { height: h, tip: a.tipAt(k).slice() })
      }
      return
    }
    switch (r.mode) {
      case 'equal': return
      case 'answer': throw bad('answer to a fingerprint')
      case 'list': {
        // The peer's whole content of the node: our chains it does not name, it lacks.
        for (let i = s.lo; i < s.hi; i++) this.#view.set(i, null)
        for (const e of r.entries) {
          const at = index.find(e.chainId)
          if (at < s.lo || at >= s.hi) continue
          if (index.same(at, e.height, e.tip)) this.#view.delete(at)
          else this.#view.set(at, { height: e.height, tip: e.tip.slice() })
        }
        return
      }
      case 'split': {
        if (s.node.depth >= RECON_MAX_DEPTH) throw bad('a split below the deepest node')
        children(s.node).forEach((c, k) => {
          const [lo, hi] = index.range(c)
          if (hi === lo) return // none of ours: nothing to learn there
          const count = r.counts[k] as number
          if (count === 0) { for (let i = lo; i < hi; i++) this.#view.set(i, null); return }
          if (count === hi - lo && sameBytes(index.sum(lo, hi), r.sums.subarray(k * 16, k * 16 + 16))) return
          if (hi - lo <= RECON_LIST_MAX || c.depth >= RECON_MAX_DEPTH - 1) { next.push({ node: c, mode: 'list', lo, hi }); return }
          // Descend one more level at once: the peer already compared this child.
          for (const g of children(c)) {
            const [a, b] = index.range(g)
            if (b > a) next.push(this.#ask(g, a, b))
          }
        })
      }
    }
  }
}

// ── the wire ────────────────────────────────────────────────────────────────────────────────

function nodeSize (n: ReconNode): number { return 1 + Math.ceil(n.depth / 2) }
function entrySize (e: ReconEntry): number { return SUMMARY_CHAIN_BYTES + varintLength(e.height) + SUMMARY_TIP_BYTES }

class Writer {
  readonly out: Uint8Array
  p = 0
  constructor (size: number) { this.out = new Uint8Array(size) }
  byte (b: number): void { this.out[this.p++] = b }
  bytes (b: Uint8Array): void { this.out.set(b, this.p); this.p += b.length }
  varint (n: number): void { this.p += varintEncode(n, this.out, this.p) }
  entry (e: ReconEntry): void {
    this.bytes(e.chainId.subarray(0, SUMMARY_CHAIN_BYTES))
    this.varint(e.height)
    this.bytes(e.tip.subarray(0, SUMMARY_TIP_BYTES))
  }

  node (n: ReconNode): void { this.byte(n.depth); this.bytes(n.prefix.subarray(0, Math.ceil(n.depth / 2))) }
}

/**
 * Encodes a `recon` message.
 * @throws RangeError over `RECON_MAX_NODES` nodes or `RECON_LIST_MAX` entries in a node
 */
export function encodeRecon (m: Recon): Uint8Array {
  if (m.nodes.length > RECON_MAX_NODES) throw new RangeError(`a recon message holds at most ${RECON_MAX_NODES} nodes`)
  let size = 2 + varintLength(m.nodes.length)
  const entries = (es: readonly ReconEntry[]): number => {
    if (es.length > RECON_LIST_MAX) throw new RangeError(`a recon node lists at most ${RECON_LIST_MAX} entries`)
    return varintLength(es.length) + es.reduce((a, e) => a + entrySize(e), 0)
  }
  if (m.kind === 'query') {
    for (const q of m.nodes) size += nodeSize(q) + 1 + (q.mode === 'fp' ? 16 + varintLength(q.count) : entries(q.entries))
  } else {
    for (const r of m.nodes) {
      size += 1
      if (r.mode === 'list') size += entries(r.entries)
      else if (r.mode === 'split') size += 256 + r.counts.reduce((a, c) => a + varintLength(c), 0)
      else if (r.mode === 'answer') {
        const a = r.items
        size += varintLength(a.length)
        for (let k = 0; k < a.length; k++) {
          const h = a.height[k] as number
          size += varintLength(a.index[k] as number) + varintLength(h + 1) + (h >= 0 ? SUMMARY_TIP_BYTES : 0)
        }
      }
    }
  }
  const w = new Writer(size)
  w.byte(MSG_RECON)
  w.byte(m.kind === 'query' ? QUERY : REPLY)
  w.varint(m.nodes.length)
  if (m.kind === 'query') {
    for (const q of m.nodes) {
      w.node(q)
      if (q.mode === 'fp') { w.byte(M_FP); w.bytes(q.sum); w.varint(q.count) } else { w.byte(M_LIST); w.varint(q.entries.length); for (const e of q.entries) w.entry(e) }
    }
  } else {
    for (const r of m.nodes) {
      switch (r.mode) {
        case 'equal': w.byte(M_EQUAL); break
        case 'list': w.byte(M_LIST); w.varint(r.entries.length); for (const e of r.entries) w.entry(e); break
        case 'split': w.byte(M_SPLIT); w.bytes(r.sums); for (const c of r.counts) w.varint(c); break
        case 'answer':
          w.byte(M_ANSWER)
          w.varint(r.items.length)
          for (let k = 0; k < r.items.length; k++) {
            const h = r.items.height[k] as number
            w.varint(r.items.index[k] as number)
            w.varint(h + 1)
            if (h >= 0) w.bytes(r.items.tipAt(k))
          }
      }
    }
  }
  return w.out
}

class Reader {
  readonly b: Uint8Array
  p: number
  constructor (b: Uint8Array, p: number) { this.b = b; this.p = p }
  need (n: number): void { if (this.p + n > this.b.length) throw bad('truncated') }
  byte (): number { this.need(1); return this.b[this.p++] as number }
  bytes (n: number): Uint8Array { this.need(n); const out = this.b.slice(this.p, this.p + n); this.p += n; return out }
  varint (): number {
    try {
      const [v, n] = varintDecode(this.b, this.p)
      this.p += n
      return v
    } catch {
      throw bad('bad varint')
    }
  }

  count (max: number, min: number, what: string): number {
    const n = this.varint()
    if (n > max) throw bad(`${n} ${what}, at most ${max}`)
    if (n * min > this.b.length - this.p) throw bad(`${what} longer than the message`)
    return n
  }

  entries (): ReconEntry[] {
    const n = this.count(RECON_LIST_MAX, ENTRY_MIN, 'entries')
    const out: ReconEntry[] = []
    for (let i = 0; i < n; i++) {
      const chainId = this.bytes(SUMMARY_CHAIN_BYTES)
      const height = this.varint()
      out.push({ chainId, height, tip: this.bytes(SUMMARY_TIP_BYTES) })
    }
    return out
  }

  node (): ReconNode {
    const depth = this.byte()
    if (depth > RECON_MAX_DEPTH) throw bad(`node depth ${depth} over ${RECON_MAX_DEPTH}`)
    const prefix = this.bytes(Math.ceil(depth / 2))
    if ((depth & 1) === 1 && ((prefix[prefix.length - 1] as number) & 15) !== 0) throw bad('node prefix has bits past its depth')
    return { depth, prefix }
  }
}

/**
 * Decodes the body of a `recon` message (after the type byte is checked by the caller).
 * @throws KernelError `ProtocolError` on anything that breaks the grammar or a bound
 */
export function decodeRecon (bytes: Uint8Array): Recon {
  const r = new Reader(bytes, 1)
  const kind = r.byte()
  if (kind !== QUERY && kind !== REPLY) throw bad(`unknown kind ${kind}`)
  const n = r.count(RECON_MAX_NODES, 1, 'nodes')
  let out: Recon
  if (kind === QUERY) {
    const nodes: QueryNode[] = []
    for (let i = 0; i < n; i++) {
      const node = r.node()
      const mode = r.byte()
      if (mode === M_FP) nodes.push({ ...node, mode: 'fp', sum: r.bytes(16), count: r.varint() })
      else if (mode === M_LIST) nodes.push({ ...node, mode: 'list', entries: r.entries() })
      else throw bad(`unknown query mode ${mode}`)
    }
    out = { kind: 'query', nodes }
  } else {
    const nodes: ReplyNode[] = []
    for (let i = 0; i < n; i++) {
      const mode = r.byte()
      if (mode === M_EQUAL) nodes.push({ mode: 'equal' })
      else if (mode === M_LIST) nodes.push({ mode: 'list', entries: r.entries() })
      else if (mode === M_SPLIT) {
        const sums = r.bytes(256)
        const counts: number[] = []
        for (let k = 0; k < 16; k++) counts.push(r.varint())
        nodes.push({ mode: 'split', sums, counts })
      } else if (mode === M_ANSWER) {
        const m = r.count(MAX_SUMMARY_ENTRIES, 2, 'answers')
        const index = new Uint32Array(m)
        const height = new Int32Array(m)
        const tips = new Uint8Array(m * SUMMARY_TIP_BYTES)
        for (let k = 0; k < m; k++) {
          index[k] = r.varint()
          const h1 = r.varint()
          height[k] = h1 - 1
          if (h1 > 0) tips.set(r.bytes(SUMMARY_TIP_BYTES), k * SUMMARY_TIP_BYTES)
        }
        nodes.push({ mode: 'answer', items: new Answers(index, height, tips) })
      } else throw bad(`unknown reply mode ${mode}`)
    }
    out = { kind: 'reply', nodes }
  }
  if (r.p !== bytes.length) throw bad('trailing bytes')
  return out
}
