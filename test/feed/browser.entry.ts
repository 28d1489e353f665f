// Runs in headless Chromium (test/feed/browser.test.ts): the feed with WebCrypto and noble.
// No Node built-ins here; bytes travel as hex.
import {
  Feed, FeedError, defaultBatchVerifier, ed25519, fromHex, nobleEd25519, backendBatchVerifier, toHex, webCryptoBatchVerifier
} from '../../src/feed/index.js'

import { edgeCases } from './_edge.js'

export interface Input { feedHex: string, steps: Array<{ body: string, sk: string }> }

async function outcome (p: Promise<Feed>): Promise<string> {
  try { return `ok ${(await p).length}` } catch (e) { return e instanceof FeedError ? e.code : `unexpected ${String(e)}` }
}

export async function run (input: Input): Promise<Record<string, unknown>> {
  const bytes = fromHex(input.feedHex)
  const bad = bytes.slice()
  bad[bad.length - 1]! ^= 1
  const web = webCryptoBatchVerifier()
  const noble = backendBatchVerifier(nobleEd25519)
  const appended = new Feed()
  for (const s of input.steps) appended.append(fromHex(s.body), s.sk)
  const parsed = Feed.from(bytes)
  const half = Math.floor(parsed.length / 2)
  const merged = parsed.slice(half)
  const reverse = merged.merge(parsed.slice(0, half))
  const edges = edgeCases()
  const webEdges = await web.verifyBatch(edges)
  const nobleEdges = await noble.verifyBatch(edges)
  return {
    edgeVerdicts: edges.map((c, i) => `${c.name}: ${String(webEdges[i])} ${String(nobleEdges[i])}`),
    hasBuffer: typeof (globalThis as { Buffer?: unknown }).Buffer,
    backend: ed25519().name,
    defaultVerifier: (await defaultBatchVerifier()).name,
    syncParse: parsed.length,
    webParse: await outcome(Feed.fromAsync(bytes, { verifier: web })),
    nobleParse: await outcome(Feed.fromAsync(bytes, { verifier: noble })),
    defaultParse: await outcome(Feed.fromAsync(bytes)),
    webForged: await outcome(Feed.fromAsync(bad, { verifier: web })),
    nobleForged: await outcome(Feed.fromAsync(bad, { verifier: noble })),
    syncForged: await outcome(Promise.resolve().then(() => Feed.from(bad))),
    truncated: await outcome(Feed.fromAsync(bytes.subarray(0, bytes.length - 3), { verifier: web })),
    appendedHex: toHex(appended.buffer),
    reverseMerged: reverse,
    mergedHex: toHex(merged.buffer),
    keys: parsed.keys.length
  }
}
