// Delta sync planning (PROTOCOL.md, "Exchange" step 3): from our chains and the peer's
// summary, decide per chain which blocks the peer lacks. Pure; the kernel loads and sends.
import { toHex } from '../feed/index.js'
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
