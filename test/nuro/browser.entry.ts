// Runs in headless Chromium (test/nuro/browser.test.ts): two nuro pipelines, the second one
// parsing a 1,000-block feed with Feed.fromAsync (WebCrypto, noble) inside `mute`. The page
// also re-signs the feed with noble so Node can compare bytes. No Node built-ins here.
import {
  Feed, FeedError, fromHex, nobleEd25519, backendBatchVerifier, toHex, webCryptoBatchVerifier
} from '../../src/feed/index.js'
import type { BatchVerifier } from '../../src/feed/index.js'
import { NuroError, combine, gate, get, init, memo, mute, settle, until, write } from '../../src/nuro/index.js'

export interface Input { feedHex: string, steps: Array<{ body: string, sk: string }> }
export interface Output {
  hasBuffer: string
  sums: number[]
  lastSum: number | undefined
  /** Values of the feed pipeline seen by the first subscriber. */
  views: Array<string | number>
  /** Values seen by a second subscriber to the memoised part. */
  second: number[]
  /** How often the parse inside `mute` ran (memo: once per value, not per subscriber). */
  parses: number
  settled: string | number
  errors: string[]
  appendedHex: string
  lastSig: string
}

export async function run (input: Input): Promise<Output> {
  // 1: synchronous arithmetic
  const [$a, setA] = write(2)
  const [$b, setB] = write(3)
  const $sum = gate(mute(combine($a, $b), ([a, b]) => a + b))
  const sums: number[] = []
  const stopSum = $sum(v => { sums.push(v) })
  setA(4)
  setB(3) // unchanged: no firing
  setB(5)
  stopSum()

  // 2: feeds through an asynchronous, memoised parse, behind a placeholder
  const bytes = fromHex(input.feedHex)
  const half = Math.floor(Feed.from(bytes, true).length / 2)
  const bad = bytes.slice()
  bad[bad.length - 1]! ^= 1
  const web = webCryptoBatchVerifier()
  const noble = backendBatchVerifier(nobleEd25519)
  const [$job, setJob] = write<{ bytes: Uint8Array, verifier: BatchVerifier, end?: number }>({ bytes, verifier: web })
  let parses = 0
  const $length = memo(mute($job, async job => {
    parses++
    const f = await Feed.fromAsync(job.bytes, { verifier: job.verifier })
    return job.end === undefined ? f.length : f.slice(0, job.end).length
  }))
  const $view = init<string, number>('loading', $length)
  const views: Array<string | number> = []
  const second: number[] = []
  const errors: string[] = []
  const onError = (e: Error): void => {
    const cause = (e as { cause?: unknown }).cause
    errors.push(`${e instanceof NuroError ? e.code : String(e)} ${cause instanceof FeedError ? cause.code : String(cause)}`)
  }
  let reached!: () => void
  const halfSeen = new Promise<void>(resolve => { reached = resolve })
  const stopView = $view(v => { views.push(v); if (v === half) reached() }, onError)
  const stopSecond = $length(v => { second.push(v) }, onError)
  setJob({ bytes, verifier: noble })
  setJob({ bytes: bad, verifier: web })
  setJob({ bytes, verifier: web, end: half })
  await halfSeen
  // joins the running pipeline: the memoised value arrives without another parse
  const settled = await until(settle($view, 5), v => v === half)
  stopView()
  stopSecond()

  const appended = new Feed()
  for (const s of input.steps) appended.append(fromHex(s.body), s.sk)
  return {
    hasBuffer: typeof (globalThis as { Buffer?: unknown }).Buffer,
    sums,
    lastSum: get($sum),
    views,
    second,
    parses,
    settled,
    errors,
    appendedHex: toHex(appended.buffer),
    lastSig: toHex(appended.last!.sig)
  }
}
