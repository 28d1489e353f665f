// The feed in headless Chromium: parse, verify (WebCrypto batch and noble) and append give
// the same bytes and verdicts as in Node.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Feed, toHex } from '../../src/feed/index.js'
import { browserAvailable, runInBrowser } from '../helpers/browser.js'
import { SHAPES, body, build, secret } from './_fixtures.js'
import type { Input } from './browser.entry.js'
import { edgeCases } from './_edge.js'

test('feed in Chromium: WebCrypto and noble give the bytes and verdicts of Node', { skip: !browserAvailable() && 'chromium not installed' }, async () => {
  const steps = SHAPES['three authors round robin']!
  const feed = build(new Feed(), steps)
  const input: Input = { feedHex: toHex(feed.buffer), steps: steps.map(s => ({ body: toHex(body(s.len, s.seed)), sk: secret(s.author) })) }
  const out = await runInBrowser<Record<string, unknown>>(new URL('./browser.entry.ts', import.meta.url), input)
  const n = feed.length
  assert.deepEqual(out, {
    edgeVerdicts: edgeCases().map(c => `${c.name}: ${String(c.valid)} ${String(c.valid)}`),
    hasBuffer: 'undefined',
    backend: '@noble/curves',
    defaultVerifier: 'webcrypto',
    syncParse: n,
    webParse: `ok ${n}`,
    nobleParse: `ok ${n}`,
    defaultParse: `ok ${n}`,
    webForged: 'SignatureVerificationFailed',
    nobleForged: 'SignatureVerificationFailed',
    syncForged: 'SignatureVerificationFailed',
    truncated: 'BufferUnderflow',
    appendedHex: toHex(feed.buffer),
    reverseMerged: Math.floor(n / 2),
    mergedHex: toHex(feed.buffer),
    keys: 3
  })
})
