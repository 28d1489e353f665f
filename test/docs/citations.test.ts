// The published docs cite nothing a reader of the package cannot open: no design notes of the
// project (spec/…, gaps.md, SEED.txt) and no section numbers of them, in the README, in
// PROTOCOL.md or in the TSDoc that reaches the published declarations.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { assertBuilt } from '../cli/_helpers.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const CITATION = /spec\/[a-z]+\.md|\bgaps(\.md)?\b|SEED\.txt|§\s*\d|\bspec [A-Z]\d/

function files (dir: string, ext: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...files(p, ext))
    else if (name.endsWith(ext)) out.push(p)
  }
  return out
}

function citations (file: string): string[] {
  return readFileSync(file, 'utf8').split('\n')
    .map((l, i) => CITATION.test(l) ? `${relative(root, file)}:${i + 1}: ${l.trim()}` : '')
    .filter(l => l !== '')
}

test('README.md and PROTOCOL.md cite no file outside the package', () => {
  const found = ['README.md', 'src/kernel/PROTOCOL.md'].flatMap(f => citations(join(root, f)))
  assert.deepEqual(found, [])
})

test('the published declarations cite no design note', () => {
  assertBuilt()
  const dist = join(root, 'dist')
  const found = files(dist, '.d.ts').flatMap(citations)
  assert.deepEqual(found, [])
})
