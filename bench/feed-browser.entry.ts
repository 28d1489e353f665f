// Runs in headless Chromium for bench/feed-browser.ts: parse + verify one feed with the
// WebCrypto batch verifier and with @noble/curves, best of a few interleaved rounds.
import { Feed, backendBatchVerifier, fromHex, nobleEd25519, toHex, webCryptoBatchVerifier } from '../src/feed/index.js'
import type { BatchVerifier } from '../src/feed/index.js'

export async function run (input: { feedHex: string, lastSig: string, rounds: number }): Promise<Record<string, number>> {
  const bytes = fromHex(input.feedHex)
  const contenders: Array<[string, BatchVerifier]> = [
    ['webcrypto', webCryptoBatchVerifier()],
    ['noble', backendBatchVerifier(nobleEd25519)]
  ]
  const best: Record<string, number> = {}
  for (let r = 0; r < input.rounds; r++) {
    for (const [name, verifier] of contenders) {
      const t0 = performance.now()
      const f = await Feed.fromAsync(bytes, { verifier })
      const ms = performance.now() - t0
      if (toHex(f.last!.sig) !== input.lastSig) throw new Error(`${name}: wrong result`)
      best[name] = Math.min(best[name] ?? Infinity, ms)
    }
  }
  return best
}
