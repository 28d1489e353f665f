import { wsWires } from './helpers.js'
import { wireConformance } from './wire-conformance.js'

wireConformance('WebSocket (ws) on 127.0.0.1', () => wsWires())
