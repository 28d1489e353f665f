// Delta sync planning (PROTOCOL.md, "Exchange" step 3): from our chains and the peer's
// summary, decide per chain which blocks the peer lacks. Pure; the kernel loads and sends.
import { cmp, toHex } from '../feed/index.js'
import type { Feed } from '../feed/index.js'
import { MAX_BLOCKS_PER_MESSAGE, SUMMARY_CHAIN_BYTES, SUMMARY_TIP_BYTES } from './constants.js'
import { Summary } from './protocol.js'
import type { SummaryEntry } from './protocol.js'

/** A chain held locally. */
export interface LocalChain {
  /** Full chain id (genesis signature, 64 bytes). */
  chainId: Uint8Array
  /** Index of the tip (number of blocks - 1). */
  height: number
  /** Full signature of the tip. */
  tip: Uint8Array
}

/** Blocks of one chain to send: heights `from` .. `chain.height`. */
export interface SyncNeed {
  /** The chain. */
  chain: LocalChain
  /** First height to send (0 = the whole chain). */
  from: number
  /**
   * When `from` > 0: the first 8 bytes the peer reported for its tip, which must match our
   * block at height `from - 1`; if it does not, the peer is on another branch and the whole
   * chain is to be sent instead.
   */
  expectTip?: Uint8Array
}

const keyOf = (id: Uint8Array): string => toHex(id, SUMMARY_CHAIN_BYTES)

/**
 * Builds the summary entries of our chains (O(chains), independent of their length).
 *
 * @param chains - the chains we hold
 * @returns summary entries to encode with `encodeSummary`
 */
export function summarize (chains: readonly LocalChain[]): SummaryEntry[] {
  return chains.map(c => ({
    chainId: c.chainId.subarray(0, SUMMARY_CHAIN_BYTES),
    height: c.height,
    tip: c.tip.subarray(0, SUMMARY_TIP_BYTES)
  }))
}

/**
 * Decides what the peer lacks: for each local chain, nothing when the peer is level or
 * ahead, the blocks after the peer's height when it is behind, the whole chain when it does
 * not know the chain. Costs O(local + remote) time and memory for the local chains only:
 * nothing is allocated per remote entry that stays.
 *
 * @param local - our chains
 * @param remote - the peer's summary
 * @returns what to send, one entry per chain that needs anything
 */
export function planSync (local: readonly LocalChain[], remote: Summary | readonly SummaryEntry[]): SyncNeed[] {
  const index = new Map<string, number>()
  for (let i = 0; i < local.length; i++) index.set(keyOf((local[i] as LocalChain).chainId), i)
  const matched = new Int32Array(local.length).fill(-1)
  const heightAt = remote instanceof Summary ? (i: number) => remote.heightAt(i) : (i: number) => (remote[i] as SummaryEntry).height
  const chainAt = remote instanceof Summary ? (i: number) => remote.chainIdAt(i) : (i: number) => (remote[i] as SummaryEntry).chainId
  for (let i = 0; i < remote.length; i++) {
    const at = index.get(keyOf(chainAt(i)))
    if (at !== undefined) matched[at] = i
  }
  const needs: SyncNeed[] = []
  for (let i = 0; i < local.length; i++) {
    const chain = local[i] as LocalChain
    const r = matched[i] as number
    if (r < 0) {
      needs.push({ chain, from: 0 })
    } else if (heightAt(r) < chain.height) {
      const tip = remote instanceof Summary ? remote.tipAt(r) : (remote[r] as SummaryEntry).tip
      needs.push({ chain, from: heightAt(r) + 1, expectTip: tip.slice() })
    }
  }
  return needs
}

/** The reads {@link collectDelta} needs. */
export interface ChainReader {
  /** Every chain held. */
  chains (): Promise<LocalChain[]>
  /**
   * Blocks of a chain from height `from` to its tip, in order, in one or more feeds of at most
   * `maxBlocks` blocks each (so a long chain is never held whole); nothing when unknown.
   */
  segments (chainId: Uint8Array, from: number, maxBlocks: number): AsyncIterable<Feed>
  /**
   * The height of a chain the peer is known to hold by now (-1 when unknown): it announced it
   * while the delta was under way, having received it from another neighbour. Asked before each
   * segment, so what the peer got elsewhere meanwhile is not sent again. Optional.
   */
  held? (chainId: Uint8Array): number
}

/**
 * Streams what a peer lacks according to its summary (PROTOCOL.md, Exchange 3): per chain,
 * nothing, the blocks after the peer's height when its tip matches ours at that height, or
 * the whole chain. Lazy: each chain is read only when the consumer asks for more, and a segment
 * the peer is known to hold by then ({@link ChainReader.held}) is skipped.
 *
 * @param reader - our chains
 * @param remote - the peer's summary
 * @param maxBlocks - most blocks per yielded feed (default 1024)
 * @param start - where in the list of chains to begin, as a share in [0, 1) (0): neighbours that
 *   answer a joining peer at once begin at different chains, and each skips what the peer
 *   announces it got from the others
 * @returns chain segments to send, each chain in order
 */
export async function * collectDelta (reader: ChainReader, remote: Summary | readonly SummaryEntry[], maxBlocks: number = MAX_BLOCKS_PER_MESSAGE, start = 0): AsyncGenerator<Feed> {
  const needs = planSync(await reader.chains(), remote)
  const first = Number.isFinite(start) && start > 0 && start < 1 ? Math.floor(start * needs.length) : 0
  for (let n = 0; n < needs.length; n++) {
    const need = needs[(first + n) % needs.length] as SyncNeed
    const id = need.chain.chainId
    // true when the peer holds the `count` blocks from height `from` on by now
    const held = (from: number, count: number): boolean => reader.held !== undefined && reader.held(id) >= from + count - 1
    if (held(need.from, need.chain.height - need.from + 1)) continue
    if (need.from === 0 || need.expectTip === undefined) {
      yield * unheld(reader.segments(id, 0, maxBlocks), 0, held)
      continue
    }
    // One block of overlap proves the peer's tip is our block at its height.
    let overlap = true
    let whole = false
    let at = need.from - 1
    for await (const seg of reader.segments(id, need.from - 1, maxBlocks)) {
      if (overlap) {
        overlap = false
        const head = seg.first
        if (head === undefined) break
        if (!cmp(head.sig.subarray(0, SUMMARY_TIP_BYTES), need.expectTip)) { whole = true; break }
        if (seg.length > 1 && !held(at + 1, seg.length - 1)) yield seg.slice(1)
      } else if (!held(at, seg.length)) {
        yield seg
      }
      at += seg.length
    }
    if (whole) yield * unheld(reader.segments(id, 0, maxBlocks), 0, held)
  }
}

/** The segments of `source` (from height `from` on) the peer does not hold yet. */
async function * unheld (source: AsyncIterable<Feed>, from: number, held: (from: number, count: number) => boolean): AsyncGenerator<Feed> {
  let at = from
  for await (const seg of source) {
    if (!held(at, seg.length)) yield seg
    at += seg.length
  }
}
