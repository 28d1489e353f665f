import { test, after } from 'node:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { repoConformance } from './conformance.js'

const dir = mkdtempSync(join(tmpdir(), 'picostack-repo-'))
let n = 0
after(() => rmSync(dir, { recursive: true, force: true }))

repoConformance('classic-level', () => new ClassicLevel<Uint8Array, Uint8Array>(join(dir, String(n++)), { keyEncoding: 'view', valueEncoding: 'view' }), test)
