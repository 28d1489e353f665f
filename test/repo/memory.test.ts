import { test } from 'node:test'
import { MemoryLevel } from 'memory-level'
import { repoConformance } from './conformance.js'

repoConformance('memory-level', () => new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' }), test)
