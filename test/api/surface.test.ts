// The public surface: the root re-exports concepts, helpers stay on their subpath, @internal
// stays out of the published declarations, and the original's call forms say what to write.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import * as root from '../../src/index.js'
import * as feed from '../../src/feed/index.js'
import * as net from '../../src/net/index.js'
import * as repo from '../../src/repo/index.js'
import * as kernel from '../../src/kernel/index.js'
import { Hub } from '../../src/net/index.js'
import type { Handler } from '../../src/net/index.js'
import { assertBuilt } from '../cli/_helpers.js'

const HELPERS: Array<[string, Record<string, unknown>]> = [
  ['au8', feed], ['b2s', feed], ['s2b', feed], ['cpy', feed], ['toU8', feed], ['cmp', feed], ['hexdump', feed],
  ['varintEncode', feed], ['varintDecode', feed], ['varintLength', feed], ['counters', feed], ['setEd25519', feed],
  ['ed25519', feed], ['nobleEd25519', feed], ['symInspect', feed],
  ['bs', repo], ['encodeFrame', net], ['FrameDecoder', net], ['decodeMessage', kernel], ['encodeHello', kernel]
]

test('the root re-exports concepts; helpers and codecs only from their subpath', () => {
  for (const [name, subpath] of HELPERS) {
    assert.ok(name in subpath, `${name} is still exported by its subpath`)
    assert.ok(!(name in root), `${name} is not exported by the root`)
  }
  for (const name of ['Feed', 'Block', 'signPair', 'getPublicKey', 'toHex', 'fromHex', 'Hub', 'picoWire', 'streamWire', 'wsWire',
    'Repo', 'Store', 'Memory', 'DiffMemory', 'decodeBlock', 'SimpleKernel', 'Modem56', 'nuro', 'PicoError', 'isPicoError',
    'FeedError', 'NetError', 'RepoError', 'StoreError', 'KernelError', 'ModemError']) {
    assert.ok(name in root, `${name} is exported by the root`)
  }
  assert.equal(typeof root.nuro.write, 'function')
})

test('new Hub(fn), the original form, throws a TypeError saying what to write', () => {
  const onmessage: Handler = async (msg, reply) => { await reply?.(msg) }
  assert.throws(() => new Hub(onmessage as never), (e: Error) => e instanceof TypeError && /new Hub\(\{ onmessage, onclose \}\)/.test(e.message))
  assert.throws(() => new Hub(null as never), TypeError)
  assert.equal(new Hub({ onmessage }).count, 0)
  assert.equal(new Hub().count, 0)
})

function dts (dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...dts(p))
    else if (name.endsWith('.d.ts')) out.push(p)
  }
  return out
}

test('the published declarations (dist/) carry no @internal member', () => {
  assertBuilt()
  const files = dts(new URL('../../dist', import.meta.url).pathname)
  assert.ok(files.length > 20)
  for (const f of files) assert.ok(!readFileSync(f, 'utf8').includes('@internal'), `${f} declares an @internal member`)
})
