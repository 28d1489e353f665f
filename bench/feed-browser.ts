// Browser feed benchmark: Feed.fromAsync in headless Chromium with the WebCrypto batch
// verifier against @noble/curves, on the same feed, printed as a ratio.
// Usage: node --conditions=source --import tsx bench/feed-browser.ts [blocks=2000]
import { toHex } from '../src/feed/index.js'
import { runInBrowser } from '../test/helpers/browser.js'
import { feedOf } from './_shared.js'

const N = Number(process.argv[2] ?? 2000)
const feed = feedOf(N, 100, 4)
const best = await runInBrowser<Record<string, number>>(new URL('./feed-browser.entry.ts', import.meta.url), {
  feedHex: toHex(feed.buffer), lastSig: toHex(feed.last!.sig), rounds: 3
})
const web = best.webcrypto as number
const noble = best.noble as number
console.log(`Feed.fromAsync in Chromium, ${N} blocks of 100-byte bodies, 4 authors`)
console.log(`  webcrypto batch  ${(N / (web / 1000)).toFixed(0).padStart(8)} blocks/s  ${web.toFixed(1)} ms  ${(noble / web).toFixed(2)}x noble`)
console.log(`  @noble/curves    ${(N / (noble / 1000)).toFixed(0).padStart(8)} blocks/s  ${noble.toFixed(1)} ms`)
