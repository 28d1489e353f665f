// The demo page over WebRTC: two users link page to page through a data channel signalled by
// the node (test/demo/_rtc-demo.ts), and keep syncing with the node stopped. ICE stays on
// loopback: candidates are filtered (?ice=loopback), and when this runs as root with `unshare`
// the scenario runs in a network namespace that has only loopback.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { assertBuilt } from '../cli/_helpers.js'
import { browserAvailable } from '../helpers/browser.js'
import { canIsolate, isolated } from '../helpers/netns.js'
import { rtcDemo } from './_rtc-demo.js'
import type { RtcDemoOutcome } from './_rtc-demo.js'

const skip = !browserAvailable() && 'chromium not installed'

test('demo page over WebRTC: two users link through a data channel and sync with the node stopped', { skip }, async () => {
  assertBuilt()
  const isolate = canIsolate()
  const outcome: RtcDemoOutcome = await isolated('test/demo/_rtc-demo.ts', rtcDemo)
  assert.equal(outcome.isolated, isolate)
  for (const links of outcome.links) {
    assert.ok(links.some(l => l.transport === 'webrtc' && l.state === 'open'), JSON.stringify(links))
  }
  assert.equal(outcome.seenOffline, true)
  for (const n of outcome.rtcBytesIn) assert.ok(n > 0, 'blocks came over the data channel')
})
