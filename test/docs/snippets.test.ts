// Every `ts` code block of the README and the docs is type-checked against the package's
// published exports (`picostack/...` resolves to dist/ through the package's own "exports",
// as it would for a user) and run unless its info string says `no-run`.
// The blocks are written to .snippets/ (gitignored) so that the self-reference resolves.
import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { assertBuilt } from '../cli/_helpers.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const DOCS = ['README.md', 'src/kernel/PROTOCOL.md']
const OUT = join(root, '.snippets')
/** Upper bound for one snippet run (ms): a hang fails instead of blocking the suite. */
const RUN_TIMEOUT = 60_000

interface Snippet { doc: string, line: number, file: string, code: string, run: boolean }

/** The fenced `ts` blocks of a Markdown text, with the line of their first code line (1-based). */
export function extract (doc: string, text: string): Snippet[] {
  const out: Snippet[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})(\S*)\s*(.*)$/.exec(lines[i] as string)
    if (open === null) continue
    const [, indent, fence, lang, info] = open as unknown as [string, string, string, string, string]
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length; j++) {
      const l = lines[j] as string
      if (l.trim() === fence) break
      body.push(l.startsWith(indent) ? l.slice(indent.length) : l)
    }
    if (j === lines.length) throw new Error(`${doc}:${i + 1}: a code block that never closes`)
    if (lang === 'ts' || lang === 'typescript') {
      const name = `${doc.replace(/[^A-Za-z0-9]+/g, '_')}_${i + 2}.ts`
      out.push({ doc, line: i + 2, file: name, code: body.join('\n'), run: !info.split(/\s+/).includes('no-run') })
    }
    i = j
  }
  return out
}

const snippets: Snippet[] = DOCS.flatMap(doc => extract(doc, readFileSync(join(root, doc), 'utf8')))

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2023', 'DOM'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    verbatimModuleSyntax: true
  },
  include: ['*.ts']
}

// Packages without types that snippets import (React is not a dependency of picostack).
const STUBS = `declare module 'react' { const React: any; export = React } // eslint-disable-line
declare module 'hyperswarm' { const Hyperswarm: new (options?: unknown) => unknown; export default Hyperswarm }
`

describe('documentation snippets', () => {
  before(() => {
    assertBuilt()
    rmSync(OUT, { recursive: true, force: true })
    mkdirSync(OUT, { recursive: true })
    writeFileSync(join(OUT, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2))
    writeFileSync(join(OUT, 'stubs.d.ts'), STUBS)
    for (const s of snippets) writeFileSync(join(OUT, s.file), s.code + '\nexport {}\n')
  })

  it('every code block closes, and every README block opens with its language', () => {
    for (const doc of DOCS) assert.doesNotThrow(() => extract(doc, readFileSync(join(root, doc), 'utf8')))
    // A missing opening fence turns the text after it into code and the code into text; in the
    // README every opening fence names its language, so a bare fence can only close a block.
    let open = false
    readFileSync(join(root, 'README.md'), 'utf8').split('\n').forEach((l, i) => {
      const fence = /^\s*`{3,}(\S*)/.exec(l)
      if (fence === null) return
      if (!open) assert.notEqual(fence[1], '', `README.md:${i + 1}: a code block opens without a language`)
      open = !open
    })
    assert.equal(open, false)
  })

  it('finds the ts blocks of the README', () => {
    assert.ok(snippets.filter(s => s.doc === 'README.md').length >= 8)
    assert.ok(snippets.filter(s => s.run).length >= 6)
  })

  it('type-checks every block against the package exports', () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
    const r = spawnSync(process.execPath, [tsc, '-p', join(OUT, 'tsconfig.json'), '--pretty', 'false'], { cwd: root, encoding: 'utf8', timeout: RUN_TIMEOUT })
    const byFile = new Map(snippets.map(s => [s.file, s]))
    // file.ts(line,col): error … → README.md:<line in the document>: error …
    const errors = (r.stdout + r.stderr).split('\n').filter(l => l.trim() !== '').map(l => {
      const m = /([^/\\]+\.ts)\((\d+),(\d+)\): (.*)$/.exec(l)
      const s = m === null ? undefined : byFile.get(m[1] as string)
      return s === undefined || m === null ? l : `${s.doc}:${s.line + Number(m[2]) - 1}:${m[3]}: ${m[4]}`
    })
    assert.deepEqual(errors, [], errors.join('\n'))
    assert.equal(r.status, 0)
  })

  for (const s of snippets.filter(s => s.run)) {
    it(`runs ${s.doc}:${s.line}`, () => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(OUT, s.file)], { cwd: root, encoding: 'utf8', timeout: RUN_TIMEOUT })
      assert.equal(r.status, 0, `${s.doc}:${s.line} exited ${String(r.status ?? r.signal)}:\n${r.stdout}\n${r.stderr}`)
    })
  }
})
