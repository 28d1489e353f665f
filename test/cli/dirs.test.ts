// makeDirs: the folders the CLI and the kernel's default database create (the node's --data,
// feed files, init), made one level at a time so that a path Node's recursive mkdir never
// returns from fails instead.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeDirs } from '../../src/internal/dirs.js'
import { SimpleKernel } from '../../src/kernel/index.js'
import { main } from '../../src/cli/main.js'
import type { Io } from '../../src/cli/io.js'

function tmp (t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'picostack-dirs-'))
  t.after(() => rmSync(d, { recursive: true, force: true }))
  return d
}

const code = (e: unknown): unknown => (e as { code?: unknown }).code

test('makeDirs makes the missing levels, and a second call finds them made', t => {
  const d = tmp(t)
  const deep = join(d, 'a', 'b', 'c')
  makeDirs(deep)
  assert.ok(statSync(deep).isDirectory())
  makeDirs(deep)
  makeDirs(d)
  makeDirs(join(d, 'a', '..', 'a', 'b')) // a path with .. resolves first
})

test('makeDirs: a file on the way is ENOTDIR naming it', t => {
  const d = tmp(t)
  const file = join(d, 'f')
  writeFileSync(file, 'x')
  assert.throws(() => makeDirs(file), e => code(e) === 'ENOTDIR' && (e as Error).message.includes(file))
  assert.throws(() => makeDirs(join(file, 'below')), e => code(e) === 'ENOTDIR' && (e as Error).message.includes(file))
})

// Node's mkdir(…, { recursive: true }) spins forever on these (Linux); makeDirs returns an error
test('makeDirs: a level the file system refuses (/proc) is its error, not a hang', { skip: !existsSync('/proc/self') }, () => {
  assert.throws(() => makeDirs('/proc/picostack-test/data'), e => code(e) === 'ENOENT')
})

test('a kernel on a folder that cannot be made fails to boot, with the reason', async t => {
  const d = tmp(t)
  writeFileSync(join(d, 'f'), 'x')
  const where = [join(d, 'f', 'db'), ...(existsSync('/proc/self') ? ['/proc/picostack-test/db'] : [])]
  for (const path of where) {
    const k = new SimpleKernel(path)
    const err = await k.boot().then(() => null, (e: unknown) => e)
    assert.ok(err instanceof Error, path)
    let reason: unknown = err
    while (reason instanceof Error && code(reason) !== 'ENOTDIR' && code(reason) !== 'ENOENT') reason = reason.cause
    assert.ok(reason instanceof Error, `${path}: ${String(err)}`)
    await k.halt()
  }
})

test('the CLI reports CannotCreateDirectory with exit code 1 (node --data, feed gen)', async t => {
  const d = tmp(t)
  const file = join(d, 'f')
  writeFileSync(file, 'x')
  let err = ''
  const io: Io = { readStdin: async () => new Uint8Array(0), stdout: () => {}, stderr: s => { err += s }, env: {} }
  assert.equal(await main(['node', '--offline', '--data', join(file, 'data')], io), 1)
  assert.match(err, /^error CannotCreateDirectory: .*not a directory.*\n$/)
  err = ''
  assert.equal(await main(['feed', 'gen', join(file, 'keys', 'k.txt')], io), 1)
  assert.match(err, /^error CannotCreateDirectory: /)
  if (existsSync('/proc/self')) {
    err = ''
    assert.equal(await main(['node', '--offline', '--data', '/proc/picostack-test/data'], io), 1)
    assert.match(err, /^error CannotCreateDirectory: \/proc\/picostack-test\/data: ENOENT/)
  }
})

test('a second kernel on a folder another holds open fails to boot with the lock as the reason, and the node says so', async t => {
  const d = tmp(t)
  const first = new SimpleKernel(d)
  await first.boot()
  t.after(() => first.halt())
  const second = new SimpleKernel(d)
  const err = await second.boot().then(() => null, (e: unknown) => e)
  await second.halt()
  let reason: unknown = err
  while (reason instanceof Error && reason.cause instanceof Error) reason = reason.cause
  assert.match((reason as Error).message, /lock/i)
  let out = ''
  const io: Io = { readStdin: async () => new Uint8Array(0), stdout: () => {}, stderr: s => { out += s }, env: {} }
  assert.equal(await main(['node', '--offline', '--ws-port=-1', '--http-port=-1', '--data', d], io), 1)
  assert.match(out, /^error "cannot open .*: the database is not open \(IO error: lock .*\)"\n$/)
})

test('a kernel on a folder whose LevelDB files are garbage fails to boot, with LevelDB\'s reason', async t => {
  const d = tmp(t)
  writeFileSync(join(d, 'CURRENT'), 'not a manifest name\n') // a hostile or damaged file
  const k = new SimpleKernel(d)
  const err = await k.boot().then(() => null, (e: unknown) => e)
  await k.halt()
  let reason: unknown = err
  while (reason instanceof Error && reason.cause instanceof Error) reason = reason.cause
  assert.ok(err instanceof Error)
  assert.match((reason as Error).message, /not a manifest name|corrupt|No such file/i)
})
