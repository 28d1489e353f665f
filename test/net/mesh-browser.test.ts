// The browser meshes in headless Chromium. Tabs: two pages of one browser context (one
// profile) sync blocks over the tab mesh with no node at all. WebRTC: two contexts (two users)
// sync over a data channel while `picostack node` only signals (test/net/_rtc-scenario.ts);
// inside a loopback-only network namespace when this runs as root with `unshare`.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { browserAvailable } from '../helpers/browser.js'
import { canIsolate, isolated } from '../helpers/netns.js'
import { launchChromium, servePage, startPage, within } from '../helpers/pages.js'
import type { Controls, Input, PeerStats, Started } from './mesh.browser.entry.js'
import { rtcScenario, type RtcOutcome } from './_rtc-scenario.js'

const entry = new URL('./mesh.browser.entry.ts', import.meta.url)
const skip = !browserAvailable() && 'chromium not installed'
type G = typeof globalThis & { __mesh: Controls }

test('tab mesh in Chromium: two tabs of one profile sync blocks with no node', { skip }, async () => {
  const site = await servePage(entry)
  const browser = await launchChromium()
  try {
    const context = await browser.newContext()
    const [one, two] = [await context.newPage(), await context.newPage()]
    const input: Input = { mode: 'tabs', name: 'mesh-test' }
    const started = await Promise.all([startPage<Started>(one, site.url, input), startPage<Started>(two, site.url, input)])
    assert.equal(started[0].hasBuffer, 'undefined')
    assert.notEqual(started[0].id, started[1].id)
    await within(one.evaluate(() => (globalThis as G).__mesh.bump(5)), 20_000, 'bump in tab one')
    await within(two.evaluate(() => (globalThis as G).__mesh.bump(6)), 20_000, 'bump in tab two')
    assert.equal(await within(one.evaluate(() => (globalThis as G).__mesh.total(11)), 20_000, 'tab one sees both blocks'), 11)
    assert.equal(await within(two.evaluate(() => (globalThis as G).__mesh.total(11)), 20_000, 'tab two sees both blocks'), 11)
    const [link] = await within(one.evaluate(() => (globalThis as G).__mesh.peers(1)), 20_000, 'links') as [PeerStats]
    assert.equal(link.transport, 'tab')
    assert.equal(link.id, started[1].id)
    assert.ok(link.bytesIn > 0 && link.bytesOut > 0)
    // a third page of another context (another profile) shares no BroadcastChannel
    const other = await (await browser.newContext()).newPage()
    await startPage<Started>(other, site.url, input)
    assert.equal(await other.evaluate(() => (globalThis as G).__mesh.connections()), 0)
    // closing a tab (pagehide): the other tab's link goes at once
    await two.close({ runBeforeUnload: true })
    assert.equal(await within(one.evaluate(() => (globalThis as G).__mesh.count(0)), 20_000, 'tab two left'), 0)
  } finally {
    await browser.close()
    await site.close()
  }
})

test('WebRTC in Chromium: two users sync over a data channel while the node only signals; wire conformance over the browser transports', { skip }, async () => {
  const outcome: RtcOutcome = await isolated('test/net/_rtc-scenario.ts', rtcScenario, 120_000)
  assert.equal(outcome.isolated, canIsolate() || process.env.PICOSTACK_NETNS === '1')
  // blocks went page to page over the data channel
  assert.deepEqual(outcome.totals, [9, 9])
  for (const links of outcome.links) {
    assert.equal(links.length, 1)
    assert.equal(links[0]?.transport, 'webrtc')
    assert.ok((links[0]?.bytesIn ?? 0) > 0 && (links[0]?.bytesOut ?? 0) > 0)
  }
  // ICE stayed on loopback, and some loopback candidate was there to keep
  for (const c of outcome.candidates) {
    assert.ok(c.kept.length > 0, 'no loopback candidate was gathered')
    assert.ok(c.kept.every(k => / (127\.0\.0\.1|::1) /.test(k)))
  }
  // the node signalled and carried no block: no sync peer, no chain
  assert.ok(outcome.relayed > 0, 'the relay passed no signalling message')
  assert.equal(outcome.nodePeers, 0)
  assert.equal(outcome.nodeChains, 0)
  assert.equal(outcome.afterLeave, 0)
  // the wire conformance suite over a real BroadcastChannel and a real data channel
  assert.ok(outcome.conformance.length >= 2 * 13, `${outcome.conformance.length} checks ran`)
  const failed = outcome.conformance.filter(o => !o.ok)
  assert.deepEqual(failed, [], failed.map(f => `${f.title}\n${f.error ?? ''}`).join('\n\n'))
})
