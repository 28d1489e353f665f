// Runs in headless Chromium (test/net/conformance-browser.test.ts): the wire conformance suite,
// with node:test, node:assert and node:crypto replaced by test/helpers/browser-shims, over the
// wires that live entirely in the page: the in-memory wire, spliced wires and a repeater Hub.
import { picoWire, spliceWires } from '../../src/net/index.js'
import { runCollected, type Outcome } from '../helpers/browser-shims/node-test.js'
import { repeaterHubPair, REPEATER_DIFFERS } from './hub-wires.js'
import { wireConformance } from './wire-conformance.js'

export async function run (): Promise<Outcome[]> {
  wireConformance('in-memory wire (Chromium)', async () => {
    const [a, b] = picoWire()
    return { a, b, teardown: async () => {} }
  })
  wireConformance('two spliced wires (Chromium)', async () => {
    const [a, x] = picoWire()
    const [y, b] = picoWire()
    spliceWires(x, y)
    return { a, b, teardown: async () => {} }
  })
  wireConformance('repeater Hub, two loose ends (Chromium)', repeaterHubPair, REPEATER_DIFFERS)
  return await runCollected()
}
