// Delta sync planning (PROTOCOL.md, "Exchange" step 3): from our chains and the peer's
// summary, decide per chain which blocks the peer lacks. Pure; the kernel loads and sends.
import { cmp, toHex } from '../feed/index.js'
import type { Feed } from '../feed/index.js'
import { SUMMARY_CHAIN_BYTES, SUMMARY_TIP_BYTES } from './constants.js'
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

const key = (id: Uint8Array): string => toHex(id, SUMMARY_CHAIN_BYTES)

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
 * not know the chain.
 *
 * @param local - our chains
 * @param remote - the peer's summary
 * @returns what to send, one entry per chain that needs anything
 */
export function planSync (local: readonly LocalChain[], remote: readonly SummaryEntry[]): SyncNeed[] {
  const theirs = new Map<string, SummaryEntry>()
  for (const e of remote) theirs.set(key(e.chainId), e)
  const needs: SyncNeed[] = []
  for (const chain of local) {
    const r = theirs.get(key(chain.chainId))
    if (r === undefined) {
      needs.push({ chain, from: 0 })
    } else if (r.height < chain.height) {
      needs.push({ chain, from: r.height + 1, expectTip: r.tip })
    }
  }
  return needs
}

/** The reads {@link collectDelta} needs. */
export interface ChainReader {
  /** Every chain held. */
  chains (): Promise<LocalChain[]>
  /** Blocks of a chain from height `from` to its tip. */
  segment (chainId: Uint8Array, from: number): Promise<Feed | undefined>
}

/**
 * Loads what a peer lacks according to its summary (PROTOCOL.md, Exchange 3): per chain,
 * nothing, the blocks after the peer's height when its tip matches ours at that height, or
 * the whole chain.
 *
 * @param reader - our chains
 * @param remote - the peer's summary
 * @returns chain segments to send, each in chain order
 */
export async function collectDelta (reader: ChainReader, remote: readonly SummaryEntry[]): Promise<Feed[]> {
  const out: Feed[] = []
  for (const need of planSync(await reader.chains(), remote)) {
    if (need.from === 0 || need.expectTip === undefined) {
      const all = await reader.segment(need.chain.chainId, 0)
      if (all !== undefined && all.length > 0) out.push(all)
      continue
    }
    // One block of overlap proves the peer's tip is our block at its height.
    const seg = await reader.segment(need.chain.chainId, need.from - 1)
    const first = seg?.first
    if (seg === undefined || first === undefined) continue
    if (cmp(first.sig.subarray(0, SUMMARY_TIP_BYTES), need.expectTip)) {
      if (seg.length > 1) out.push(seg.slice(1))
    } else {
      const all = await reader.segment(need.chain.chainId, 0)
      if (all !== undefined && all.length > 0) out.push(all)
    }
  }
  return out
}
