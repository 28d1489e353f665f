// `picostack init`: argument and folder checks (fast, in-process), what a scaffold contains,
// and the default dependency (a tarball of this kit in vendor/). The install-and-run checks of
// both flavours are in svelte.e2e.test.ts and react.e2e.test.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../src/cli/main.js'
import { invalidName, kitRoot } from '../../src/cli/init.js'
import type { Io } from '../../src/cli/io.js'

function capture (): Io & { out: string, err: string } {
  const io = {
    out: '',
    err: '',
    env: {},
    async readStdin () { return new Uint8Array() },
    stdout (d: Uint8Array | string) { io.out += String(d) },
    stderr (t: string) { io.err += t }
  }
  return io
}

async function init (...args: string[]): Promise<{ code: number, out: string, err: string }> {
  const io = capture()
  const code = await main(['init', ...args], io)
  return { code, out: io.out, err: io.err }
}

function scratch (t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'init-test-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function files (dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap(name => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? files(p, base) : [p.slice(base.length + 1)]
  })
}

test('init: an unknown flag, no folder or two folders are usage mistakes (exit 2)', async t => {
  const dir = scratch(t)
  const bad = await init(join(dir, 'app'), '--bogus')
  assert.equal(bad.code, 2)
  assert.match(bad.err, /^error UnknownFlag: unknown flag --bogus/)
  assert.match(bad.err, /Usage: picostack init DIR/)
  assert.match((await init()).err, /^error Usage: missing DIR/)
  assert.equal((await init('a', 'b')).code, 2)
  assert.equal(existsSync(join(dir, 'app')), false, 'nothing was created')
})

test('init: --help prints the usage (exit 0)', async () => {
  const r = await init('--help')
  assert.equal(r.code, 0)
  assert.match(r.out, /--react/)
  assert.match(r.out, /--local/)
})

test('init: a name npm would refuse is a usage mistake, with the reason', async t => {
  const dir = scratch(t)
  const fromDir = await init(join(dir, 'My App'), '--no-install', '--local')
  assert.equal(fromDir.code, 2)
  assert.match(fromDir.err, /^error InvalidName: "My App" is not a valid npm package name: it has capital letters \(give one with --name\)/)
  for (const name of ['Bad', '_x', '.x', 'a b', 'a/b', 'http', 'node_modules', 'picostack', 'x'.repeat(215), '']) {
    const r = await init(join(dir, 'ok'), '--name', name)
    assert.equal(r.code, 2, name)
    assert.match(r.err, /^error InvalidName: /, name)
  }
  for (const name of ['my-app', '@me/my.app', 'a~b', 'x1_2']) assert.equal(invalidName(name), undefined, name)
  assert.deepEqual(readdirSync(dir), [], 'nothing was created')
})

test('init: refuses a non-empty folder (exit 2) and leaves it as it was; --force writes into it', async t => {
  const dir = scratch(t)
  writeFileSync(join(dir, 'notes.txt'), 'mine')
  writeFileSync(join(dir, 'README.md'), 'old readme')
  const r = await init(dir, '--local', '--no-install', '--name', 'app')
  assert.equal(r.code, 2)
  assert.match(r.err, /^error DirectoryNotEmpty: .* is not empty \(--force writes into it anyway\)/)
  assert.deepEqual(readdirSync(dir).sort(), ['README.md', 'notes.txt'])
  const file = join(dir, 'notes.txt')
  assert.match((await init(file, '--name', 'app')).err, /^error DirectoryNotEmpty: .* exists and is not a folder/)

  const forced = await init(dir, '--local', '--no-install', '--name', 'app', '--force')
  assert.equal(forced.code, 0, forced.err)
  assert.equal(readFileSync(file, 'utf8'), 'mine', 'other files are kept')
  assert.match(readFileSync(join(dir, 'README.md'), 'utf8'), /^# app/, 'template files are written')
})

test('init --local: a Svelte project depending on this kit in place, no placeholder left', async t => {
  const dir = join(scratch(t), 'my-app')
  const r = await init(dir, '--local', '--no-install')
  assert.equal(r.code, 0, r.err)
  assert.match(r.out, /created my-app \(Svelte 5\)/)
  assert.match(r.out, /npm install\n {2}npm run dev/)
  const all = files(dir)
  for (const f of ['.gitignore', 'README.md', 'package.json', 'tsconfig.json', 'eslint.config.js', 'src/blockend/tasks.ts',
    'src/app/App.svelte', 'src/app/main.ts', 'server/node.ts', 'server/dev.ts', 'scripts/build.ts', 'sim/tasks.ts',
    'test/tasks.test.ts', 'test/sim.test.ts', 'public/index.html']) assert.ok(all.includes(f), f)
  assert.ok(!all.includes('gitignore') && !all.some(f => f.endsWith('.tsx')))
  for (const f of all) assert.doesNotMatch(readFileSync(join(dir, f), 'utf8'), /__[A-Z_]+__/, f)
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string, dependencies: Record<string, string>, devDependencies: Record<string, string>, scripts: Record<string, string> }
  assert.equal(pkg.name, 'my-app')
  assert.equal(pkg.dependencies.picostack, `file:${kitRoot()}`)
  assert.equal(pkg.dependencies.svelte, '5.57.3')
  for (const v of [...Object.values(pkg.dependencies), ...Object.values(pkg.devDependencies)]) assert.match(v, /^(file:|\d+\.\d+\.\d+$)/, 'exact pins')
  assert.deepEqual(Object.keys(pkg.scripts).sort(), ['build', 'dev', 'lint', 'sim', 'start', 'test', 'typecheck'])
  const readme = readFileSync(join(dir, 'README.md'), 'utf8')
  assert.ok(readme.includes('npm install && npm run dev') && readme.includes('npm test'))
  assert.match(readme, /local copy of picostack/)
})

test('init --react: the React page with createUseNuro, JSX in the tsconfig', async t => {
  const dir = join(scratch(t), 'board')
  const r = await init(dir, '--react', '--local', '--no-install')
  assert.equal(r.code, 0, r.err)
  const all = files(dir)
  assert.ok(all.includes('src/app/App.tsx') && all.includes('src/app/main.tsx') && !all.includes('src/app/App.svelte'))
  assert.match(readFileSync(join(dir, 'src/app/use-nuro.ts'), 'utf8'), /createUseNuro\(React\)/)
  const tsconfig = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8')) as { compilerOptions: { jsx?: string } }
  assert.equal(tsconfig.compilerOptions.jsx, 'react-jsx')
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  assert.ok(pkg.dependencies.react !== undefined && pkg.dependencies.svelte === undefined)
})

test('init without --local: this kit packed into vendor/, never the registry\'s picostack', async t => {
  const dir = join(scratch(t), 'app')
  mkdirSync(dir)
  const r = await init(dir, '--no-install')
  assert.equal(r.code, 0, r.err)
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  const { version } = JSON.parse(readFileSync(join(kitRoot(), 'package.json'), 'utf8')) as { version: string }
  assert.equal(pkg.dependencies.picostack, `file:vendor/picostack-${version}.tgz`)
  const listing = execFileSync('tar', ['-tzf', join(dir, 'vendor', `picostack-${version}.tgz`)], { encoding: 'utf8' }).split('\n')
  for (const f of ['package/dist/index.js', 'package/bin/picostack.js', 'package/templates/common/src/blockend/tasks.ts', 'package/templates/svelte/src/app/App.svelte']) {
    assert.ok(listing.includes(f), f)
  }
  assert.ok(!listing.some(f => /^package\/(src\/.*\.ts|test\/)/.test(f)), 'only the published files')
  assert.match(readFileSync(join(dir, 'README.md'), 'utf8'), /packed the\s+copy it ran from into `vendor\/picostack-/)
})
