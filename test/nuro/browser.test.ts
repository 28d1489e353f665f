// nuro in headless Chromium: two pipelines, one of them parsing a 1,000-block feed with
// Feed.fromAsync (WebCrypto and noble); the page's noble signatures match Node's bytes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Feed, toHex } from '../../src/feed/index.js'
import { browserAvailable, runInBrowser } from '../helpers/browser.js'
import { body, secret } from '../feed/_fixtures.js'
import type { Input, Output } from './browser.entry.js'

const N = 1000

test('nuro in Chromium: pipelines, one over a 1,000-block feed', { skip: !browserAvailable() && 'chromium not installed' }, async () => {
  const steps = Array.from({ length: N }, (_, i) => ({ body: body(1 + (i * 13) % 200, i), sk: secret(i % 3) }))
  const feed = new Feed()
  for (const s of steps) feed.append(s.body, s.sk)
  const input: Input = { feedHex: toHex(feed.buffer), steps: steps.map(s => ({ body: toHex(s.body), sk: s.sk })) }
  const out = await runInBrowser<Output>(new URL('./browser.entry.ts', import.meta.url), input, { timeoutMs: 25_000 })
  const { appendedHex, ...rest } = out
  assert.ok(appendedHex === input.feedHex, 'the page signed different bytes than Node')
  assert.deepEqual(rest, {
    hasBuffer: 'undefined',
    sums: [5, 7, 9],
    lastSum: 9,
    views: ['loading', N, N, N / 2],
    second: [N, N, N / 2],
    parses: 4,
    settled: N / 2,
    errors: ['MutationFailed SignatureVerificationFailed', 'MutationFailed SignatureVerificationFailed'],
    lastSig: toHex(feed.last!.sig)
  })
})
