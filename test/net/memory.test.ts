import { picoWire, spliceWires } from '../../src/net/index.js'
import { wireConformance } from './wire-conformance.js'

wireConformance('in-memory wire', async () => {
  const [a, b] = picoWire()
  return { a, b, teardown: async () => {} }
})

wireConformance('two spliced wires', async () => {
  const [a, p] = picoWire()
  const [q, b] = picoWire()
  spliceWires(p, q)
  return { a, b, teardown: async () => {} }
})

wireConformance('three spliced wires', async () => {
  const [a, p] = picoWire()
  const [q, r] = picoWire()
  const [s, b] = picoWire()
  p.open(q)
  spliceWires(r, s)
  return { a, b, teardown: async () => {} }
})
