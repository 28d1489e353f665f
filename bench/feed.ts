// Feed benchmark (one process): our Feed against the published picofeed 8.0.5 and against raw
// Ed25519 loops over the same data, libsodium (the native floor of the default backend) and
// node:crypto, printed as ratios.
// Usage: node --conditions=source --import tsx bench/feed.ts [blocks=10000]
import * as crypto from 'node:crypto'
import * as pf from 'picofeed'
import sodium from 'sodium-native'
import { Feed, fromHex, toHex, ed25519 } from '../src/feed/index.js'
import { bodies, check, contender, feedOf, race, report, secret } from './_shared.js'

const N = Number(process.argv[2] ?? 10_000)
const LEN = 100
console.log(`feed bench: ${N} blocks of ${LEN}-byte bodies, one author; backend ${ed25519().name}, node ${process.version}`)

// ---- Feed.from(buffer): parse + verify every block
const feed = feedOf(N, LEN)
const bytes = feed.buffer.slice()
const lastSig = toHex(feed.last!.sig)
const pkHex = toHex(feed.first!.key)
const msgs = feed.blocks.map(b => b.buffer.slice(64))
const sigs = feed.blocks.map(b => b.sig.slice())
const spkiPrefix = Buffer.from('302a300506032b6570032100', 'hex')
const pubKey = crypto.createPublicKey({ key: Buffer.concat([spkiPrefix, Buffer.from(fromHex(pkHex))]), format: 'der', type: 'spki' })

const parse = await race([
  contender({
    name: 'raw node:crypto verify loop',
    ops: N,
    fn: () => {
      let ok = 0
      for (let i = 0; i < N; i++) if (crypto.verify(null, msgs[i]!, pubKey, sigs[i]!)) ok++
      return ok
    },
    check: ok => check(ok === N, 'raw verify')
  }),
  contender({
    name: 'raw sodium-native verify loop',
    ops: N,
    fn: () => {
      const pk = fromHex(pkHex)
      let ok = 0
      for (let i = 0; i < N; i++) if (sodium.crypto_sign_verify_detached(sigs[i]!, msgs[i]!, pk)) ok++
      return ok
    },
    check: ok => check(ok === N, 'raw sodium verify')
  }),
  contender({ name: 'picostack Feed.from(buffer)', ops: N, fn: () => Feed.from(bytes), check: f => check(f.length === N && toHex(f.last!.sig) === lastSig, 'picostack parse') }),
  contender({ name: 'picostack await Feed.fromAsync(buffer)', ops: N, fn: () => Feed.fromAsync(bytes), check: f => check(f.length === N && toHex(f.last!.sig) === lastSig, 'picostack parse async') }),
  contender({ name: 'picofeed 8.0.5 Feed.from(buffer)', ops: N, runs: 1, fn: () => pf.Feed.from(bytes.slice()), check: f => check(f.length === N && toHex(f.last.sig) === lastSig, 'picofeed parse') })
])
report(`Feed.from(buffer) of ${N} blocks (verify every signature)`, parse, ['raw sodium-native verify loop', 'raw node:crypto verify loop', 'picofeed 8.0.5 Feed.from(buffer)'])

// ---- append N blocks
const bs = bodies(N, LEN)
const sk = secret(0)
const pkcs8Prefix = Buffer.from('302e020100300506032b657004220420', 'hex')
const privKey = crypto.createPrivateKey({ key: Buffer.concat([pkcs8Prefix, Buffer.from(fromHex(sk))]), format: 'der', type: 'pkcs8' })
const PF_N = Math.min(N, Number(process.env.PF_APPENDS ?? N))
const append = await race([
  contender({
    name: 'raw sodium-native sign loop',
    ops: N,
    fn: () => {
      const pk = new Uint8Array(32)
      const sk64 = new Uint8Array(64)
      sodium.crypto_sign_seed_keypair(pk, sk64, fromHex(sk))
      return msgs.map(m => { const sig = new Uint8Array(64); sodium.crypto_sign_detached(sig, m, sk64); return sig })
    },
    check: out => check(toHex(out[N - 1]!) === lastSig, 'raw sodium sign')
  }),
  contender({ name: 'raw node:crypto sign loop', ops: N, fn: () => msgs.map(m => crypto.sign(null, m, privKey)), check: out => check(toHex(out[N - 1]!) === lastSig, 'raw sign') }),
  contender({
    name: 'picostack append',
    ops: N,
    fn: () => {
      const f = new Feed()
      for (let i = 0; i < N; i++) f.append(bs[i]!, sk)
      return f
    },
    check: f => check(toHex(f.buffer) === toHex(bytes), 'picostack append bytes')
  }),
  contender({
    name: `picofeed 8.0.5 append${PF_N < N ? ` (${PF_N})` : ''}`,
    ops: PF_N,
    runs: 1,
    fn: () => {
      const f = new pf.Feed()
      for (let i = 0; i < PF_N; i++) f.append(bs[i]!, sk)
      return f
    },
    check: f => check(toHex(f.buffer) === toHex(bytes.subarray(0, f.tail)) && f.length === PF_N, 'picofeed append bytes')
  })
])
report(`append ${N} blocks`, append, ['raw sodium-native sign loop', 'raw node:crypto sign loop', `picofeed 8.0.5 append${PF_N < N ? ` (${PF_N})` : ''}`])

// ---- bytes per block (the append check above also compared whole feeds byte for byte)
const ours = feed.slice(0, 100)
const theirs = new pf.Feed()
for (let i = 0; i < 100; i++) theirs.append(bs[i]!, sk)
check(toHex(theirs.buffer) === toHex(ours.buffer), 'identical bytes')
console.log(`\nbytes per block (100 blocks): picostack ${((ours.tail - 4) / 100).toFixed(2)}, picofeed 8.0.5 ${((theirs.tail - 4) / 100).toFixed(2)}, byte-identical`)
