// `picostack feed ...`: a real session through spawned processes (source via tsx, no build),
// and the error cases in-process through main() with injected streams.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as pf from 'picofeed'
import { main } from '../../src/cli/main.js'
import type { Io } from '../../src/cli/io.js'
import { Feed, getPublicKey, toHex } from '../../src/feed/index.js'

const root = new URL('../../', import.meta.url)

function cli (args: string[], input?: Uint8Array | string, env: Record<string, string> = {}): { code: number, out: Buffer, err: string } {
  const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root, input: input ?? '', env: { ...process.env, ...env }
  })
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr.toString() }
}

/** Runs main() in this process with fake streams. */
async function run (args: string[], stdin: Uint8Array | string = '', env: Record<string, string> = {}): Promise<{ code: number, out: string, err: string }> {
  let out = ''
  let err = ''
  const io: Io = {
    readStdin: async () => typeof stdin === 'string' ? new TextEncoder().encode(stdin) : stdin,
    stdout: d => { out += typeof d === 'string' ? d : Buffer.from(d).toString('latin1') },
    stderr: t => { err += t },
    env
  }
  const code = await main(args, io)
  return { code, out, err }
}

test('cli: a feed session (real processes for gen, append, get, verify)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'picostack-cli-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const key = join(dir, 'keys', 'alice.key')
  const feed = join(dir, 'f.pic')
  let r = cli(['feed', 'gen', key])
  assert.equal(r.code, 0, r.err)
  assert.equal(r.out.toString(), key + '\n')
  assert.equal(statSync(key).mode & 0o777, 0o600)
  const sk = readFileSync(key, 'utf8').trim()
  assert.match(sk, /^[0-9a-f]{64}$/)
  r = cli(['feed', 'append', feed, key], 'hello')
  assert.equal(r.out.toString(), '1\n')
  assert.equal((await run(['feed', 'append', feed, '-e', 'ALICE'], 'world', { ALICE: ` ${sk.toUpperCase()}\n` })).out, '2\n')
  assert.ok(!existsSync(feed + '.tmp'))
  assert.equal((await run(['feed', 'get', feed])).out, 'helloworld')
  r = cli(['feed', 'get', '-I', feed, '1'])
  const f = Feed.from(readFileSync(feed))
  assert.equal(r.out.toString(), [
    'BLOCK 1', 'GENESIS 0', `SIG ${toHex(f.block(1)!.sig)}`, `AUTHOR ${getPublicKey(sk)}`, `PSIG ${toHex(f.block(0)!.sig)}`, 'SIZE 5', '', ''
  ].join('\n'))
  // picofeed 8.0.5 reads the file too
  assert.equal(pf.Feed.from(readFileSync(feed)).length, 2)
  const ok = await run(['feed', 'verify', '-'], readFileSync(feed))
  assert.equal(ok.code, 0)
  assert.match(ok.out, /^OK 2 blocks, 1 authors, 278 bytes/)
  const bad = readFileSync(feed); bad[bad.length - 1] ^= 1
  r = cli(['feed', 'verify', '-'], bad)
  assert.equal(r.code, 1)
  assert.match(r.err, /^error SignatureVerificationFailed/)
  const unknown = await run(['feed', 'frobnicate'])
  assert.equal(unknown.code, 2)
  assert.match(unknown.err, /^error UnknownCommand: feed frobnicate[\s\S]*usage: picostack feed/)
  const help = await run(['--help'])
  assert.equal(help.code, 0)
  assert.match(help.out, /usage: picostack <command>/)
})

test('cli: gen, append and get details', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'picostack-cli-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const key = join(dir, 'k')
  const feed = join(dir, 'sub', 'f.pic')
  assert.equal((await run(['feed', 'gen', key])).code, 0)
  const again = await run(['feed', 'gen', key])
  assert.equal(again.code, 1)
  assert.equal(again.err, `error RefusingToOverwrite: ${key} (use -f)\n`)
  assert.equal((await run(['feed', 'gen', '-f', key])).code, 0)
  const toStdout = await run(['feed', 'gen', '-'])
  assert.match(toStdout.out, /^[0-9a-f]{64}\n$/)
  writeFileSync(key, '\n  \n' + toStdout.out.trim().toUpperCase() + '  \nrest\n')
  const sk = toStdout.out.trim()
  for (let i = 0; i < 5; i++) assert.equal((await run(['feed', 'append', feed, key], `B${i}`)).out, `${i + 1}\n`)
  assert.equal((await run(['feed', 'append', feed, sk], 'B5')).out, '6\n')
  assert.equal(Feed.from(readFileSync(feed)).first!.key.length, 32)
  const get = async (...a: string[]): Promise<string> => (await run(['feed', 'get', ...a])).out
  assert.equal(await get(feed), 'B0B1B2B3B4B5')
  assert.equal(await get(feed, '2'), 'B2B3B4B5')
  assert.equal(await get(feed, '1', '3'), 'B1B2B3', 'END is inclusive')
  assert.equal(await get(feed, '-2'), 'B4B5')
  assert.equal(await get(feed, '0', '-2'), 'B0B1B2B3B4')
  assert.equal(await get(feed, '4', '2'), '')
  assert.equal(await get(feed, '-6', '5'), 'B0B1B2B3B4B5')
  assert.match(await get('-i', feed, '0', '0'), /^BLOCK 0\nGENESIS 1\nSIG [0-9a-f]{128}\nAUTHOR [0-9a-f]{64}\nPSIG -\nSIZE 2\nBODY_TEXT\nB0\n\n$/)
  assert.equal((await run(['feed', 'get', feed], '', {})).code, 0)
  const empty = join(dir, 'empty.pic')
  writeFileSync(empty, '')
  assert.equal(await get(empty), '')
  assert.match((await run(['feed', 'inspect', feed])).out, /BLOCK 5/)
  assert.match((await run(['feed', '--help'])).out, /usage: picostack feed/)
  assert.match((await run(['feed', 'get', '--help'])).out, /usage: picostack feed/)
})

test('cli: runtime errors exit 1 with one error line; usage mistakes exit 2 with the usage', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'picostack-cli-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const feed = join(dir, 'f.pic')
  const sk = 'ab'.repeat(32)
  const garbage = join(dir, 'garbage.pic')
  writeFileSync(garbage, 'not a feed at all, just some text that is long enough to look like a block.....')
  const badKey = join(dir, 'bad.key')
  writeFileSync(badKey, 'hello\n')
  const parseError = /^error (BufferUnderflow|InvalidHeader|InvalidVarint|SignatureVerificationFailed)/
  // [args, stdin, stderr, usage mistake?]
  const cases: Array<[string[], string, RegExp, boolean]> = [
    [['nope'], '', /^error UnknownCommand: nope/, true],
    [['feed', 'gen'], '', /^error Usage: gen: expected 1 arguments, got 0/, true],
    [['feed', 'gen', '-x', 'f'], '', /^error UnknownFlag: -x/, true],
    [['feed', 'append', feed], 'x', /^error Usage: append/, true],
    [['feed', 'append', feed, 'nofile'], 'x', /^error InvalidSecret: nofile is neither/, false],
    [['feed', 'append', feed, badKey], 'x', /^error InvalidSecretFile: /, false],
    [['feed', 'append', feed, '-e', 'NOPE'], 'x', /^error MissingEnvVar: NOPE/, false],
    [['feed', 'append', feed, '-e'], 'x', /^error Usage: -e needs a value/, true],
    [['feed', 'append', feed, sk], '', /^error InvalidBody: append: the body \(stdin\) is empty/, false],
    [['feed', 'append', garbage, sk], 'x', parseError, false],
    [['feed', 'get', join(dir, 'missing.pic')], '', /^error FileNotFound: /, false],
    // Node's error begins with its code: printed once, not as `EISDIR: EISDIR: …`
    [['feed', 'get', dir], '', /^error EISDIR: illegal operation on a directory/, false],
    [['feed', 'get', garbage], '', parseError, false],
    [['feed', 'get', garbage, 'x'], '', parseError, false],
    [['feed', 'verify', '-'], 'PIC0' + 'x'.repeat(70), /^error (BufferUnderflow|InvalidHeader|InvalidVarint)/, false],
    [['feed', 'inspect'], '', /^error Usage: inspect/, true],
    [['feed', 'key'], '', /^error Usage: key/, true],
    [['feed', 'key', badKey], '', /^error InvalidSecretFile: /, false]
  ]
  for (const [args, stdin, re, usageMistake] of cases) {
    const r = await run(args, stdin, {})
    assert.equal(r.code, usageMistake ? 2 : 1, args.join(' '))
    assert.match(r.err, re, args.join(' '))
    if (usageMistake) assert.match(r.err, /usage: picostack/, args.join(' '))
    else assert.equal(r.err.split('\n').length, 2, `one error line for ${args.join(' ')}: ${r.err}`)
    assert.equal(r.out, '', args.join(' '))
  }
  // bad START / END on a good feed
  await run(['feed', 'append', feed, sk], 'x')
  assert.match((await run(['feed', 'get', feed, 'x'])).err, /^error InvalidStart: x/)
  assert.match((await run(['feed', 'get', feed, '0', '1.5'])).err, /^error InvalidEnd: 1.5/)
  assert.match((await run(['feed', 'append', feed, sk], '\0x')).err, /zero byte/)
})

test('cli: get outside the feed fails with OutOfRange (exit 1), inside it reads', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'picostack-cli-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const feed = join(dir, 'f.pic')
  const sk = 'cd'.repeat(32)
  for (const body of ['a', 'b', 'c']) assert.equal((await run(['feed', 'append', feed, sk], body)).code, 0)
  for (const range of [['5'], ['3'], ['-4'], ['0', '3'], ['0', '-4']]) {
    const r = await run(['feed', 'get', feed, ...range])
    assert.equal(r.code, 1, range.join(' '))
    assert.equal(r.out, '')
    assert.match(r.err, /^error OutOfRange: (START|END) -?\d: the feed has 3 blocks: 0\.\.2 or -3\.\.-1\n$/, range.join(' '))
  }
  assert.equal((await run(['feed', 'get', feed, '2'])).out, 'c')
  assert.equal((await run(['feed', 'get', feed, '-3', '-3'])).out, 'a')
  const empty = join(dir, 'empty.pic')
  writeFileSync(empty, '')
  assert.match((await run(['feed', 'get', empty, '0'])).err, /^error OutOfRange: START 0: the feed is empty/)
})

test('cli: feed key prints the public key of a key file, a hex secret or an environment variable', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'picostack-cli-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const key = join(dir, 'k.key')
  assert.equal((await run(['feed', 'gen', key])).code, 0)
  const sk = readFileSync(key, 'utf8').trim()
  const pk = getPublicKey(sk) + '\n'
  assert.deepEqual(await run(['feed', 'key', key]), { code: 0, out: pk, err: '' })
  assert.equal((await run(['feed', 'key', sk.toUpperCase()])).out, pk)
  assert.equal((await run(['feed', 'key', '-e', 'SK'], '', { SK: sk })).out, pk)
  // the key signs what `get -I` shows as AUTHOR
  const feed = join(dir, 'f.pic')
  await run(['feed', 'append', feed, key], 'x')
  assert.match((await run(['feed', 'get', '-I', feed])).out, new RegExp(`AUTHOR ${pk.trim()}`))
})
