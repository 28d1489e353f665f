// The Hub wire factory of the conformance suite, shared by Node (hub-conformance.test.ts) and
// Chromium (conformance.browser.entry.ts): no Node built-ins here.
import { Hub } from '../../src/net/index.js'
import type { ConformanceOptions, WirePair } from './wire-conformance.js'

/**
 * Two loose ends of one repeater hub, a shared bus of two nodes: every message of one reaches
 * the other through the hub; a reply comes back through it and the conversation goes on with
 * the answering node.
 */
export async function repeaterHubPair (): Promise<WirePair> {
  const hub = new Hub()
  const a = hub.createWire()
  const b = hub.createWire()
  // A loose end that closes leaves the bus; for the contract, the bus of two is one wire.
  void a.closed.then(err => b.close(err ?? undefined))
  void b.closed.then(err => a.close(err ?? undefined))
  return { a, b, teardown: async () => {} }
}

/** What a repeater hub does differently from a wire, on purpose (see Hub). */
export const REPEATER_DIFFERS: ConformanceOptions = {
  differs: {
    'rejects the asker when the handler throws, and stays open':
      'a repeater surveys the other nodes and drops a failed answer: the asker gets NoAnswer (see Hub)'
  }
}
