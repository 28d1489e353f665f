// The wire contract over Hub wires (a repeater hub of two nodes, see hub-wires.ts).
import { repeaterHubPair, REPEATER_DIFFERS } from './hub-wires.js'
import { wireConformance } from './wire-conformance.js'

wireConformance('repeater Hub, two loose ends', repeaterHubPair, REPEATER_DIFFERS)
