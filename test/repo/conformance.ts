// One conformance suite for the repo, run unchanged against every abstract-level backend
// (memory-level, classic-level, browser-level). Free of Node-only APIs: the caller passes the
// test registrar and a factory that creates a fresh, 'view'-encoded database per test.
import { Feed, FeedError, fromHex, signPair, toHex } from '../../src/feed/index.js'
import type { Block } from '../../src/feed/index.js'
import { Repo, RepoError, toDot } from '../../src/repo/index.js'
import type { MergeStrategy, RepoDb, RepoOptions } from '../../src/repo/index.js'
import { eq, ok, rejects, same } from './check.js'

/** Creates a fresh, empty database opened with 'view' key and value encodings. */
export type RepoFactory = () => RepoDb | Promise<RepoDb>
/** `test(name, fn)` of node:test, mocha, etc. */
export type TestRegistrar = (name: string, fn: () => Promise<void>) => unknown

interface User { sk: string, pk: Uint8Array, name: string }
const user = (name: string): User => {
  const { sk, pk } = signPair()
  return { sk, pk: fromHex(pk), name }
}
const acceptAll: MergeStrategy = () => true
/** Appends `name` signed by `u` for each pair; returns the feed. */
const grow = (f: Feed, ...items: Array<[string, User]>): Feed => {
  for (const [name, u] of items) f.append(name, u.sk)
  return f
}
const str = (b: Uint8Array | undefined): string => b === undefined ? 'undefined' : toHex(b)
const bodies = (f: Feed | undefined | null): string => f == null ? '' : f.blocks.map(b => new TextDecoder().decode(b.body)).join(' ')

/**
 * Registers the repo conformance tests.
 *
 * @param name - backend name, used in test titles
 * @param factory - creates a fresh database for each test
 * @param test - the test registrar
 */
export function repoConformance (name: string, factory: RepoFactory, test: TestRegistrar): void {
  const it = (title: string, fn: (mk: (strategy?: MergeStrategy | MergeStrategy[], opts?: RepoOptions) => Promise<Repo>) => Promise<void>): void => {
    test(`repo[${name}] ${title}`, async () => {
      const repos: Repo[] = []
      try {
        await fn(async (strategy, opts) => {
          const r = new Repo(await factory(), strategy, opts)
          repos.push(r)
          return r
        })
      } finally {
        for (const r of repos) await r.close()
      }
    })
  }

  // ------------------------------------------------------------ spec/repo.md §7

  it('1 low level: pointers, registry, a block read back byte-identical', async mk => {
    const repo = await mk()
    const A = user('A')
    eq(await repo.headOf(A.pk), undefined)
    eq(await repo.readReg('k'), undefined)
    await repo.writeReg('k', 'v')
    eq(new TextDecoder().decode(await repo.readReg('k')), 'v')
    await repo.writeReg(new Uint8Array([0, 1]), new Uint8Array([9]))
    same(await repo.readReg(new Uint8Array([0, 1])), new Uint8Array([9]))
    const f = new Feed()
    f.append('hello', A.sk)
    const b0 = f.first!
    eq(await repo.hasBlock(b0.sig), false)
    eq(await repo.merge(f), 1)
    eq(await repo.hasBlock(b0.sig), true)
    const back = await repo.readBlock(b0.sig)
    ok(back !== undefined)
    same(back.buffer, b0.buffer)
    same(back.sig, b0.sig)
    eq(back._verified, true)
    same(await repo.headOf(A.pk), b0.sig)
    same(await repo.latestOf(A.pk), b0.sig)
    same(await repo.tailOf(A.pk), b0.sig)
    same(await repo.ownerOf(b0.sig), A.pk)
    const loc = await repo.chainOf(b0.sig)
    same(loc?.chainId, b0.sig)
    eq(loc?.height, 0)
    same(await repo.tipOf(b0.sig), b0.sig)
    eq(await repo.readBlock(new Uint8Array(64)), undefined)
  })

  it('pointer records hold their 64 bytes, not the message the block came in', async mk => {
    const repo = await mk()
    const A = user('A')
    const f = new Feed()
    for (let i = 0; i < 200; i++) f.append('x'.repeat(100) + String(i), A.sk)
    const message = Feed.from(f.buffer) // blocks that are views into one parsed message, as a peer's are
    eq(await repo.merge(message), 200)
    for (const v of [await repo.latestOf(A.pk), await repo.tailOf(A.pk), await repo.headOf(A.pk)]) {
      ok(v !== undefined && v.length === 64)
      ok(v.buffer.byteLength < message.buffer.byteLength / 2, `a ${v.buffer.byteLength}-byte buffer holds a 64-byte pointer`)
    }
  })

  it('2 single author: merge, append, re-merge is idempotent, loadHead', async mk => {
    const repo = await mk()
    const A = user('A')
    const f = grow(new Feed(), ['A0', A], ['A1', A])
    eq(await repo.merge(f), 2)
    eq(await repo.merge(grow(f, ['A2', A])), 1)
    eq(await repo.merge(f), 0)
    const h = await repo.loadHead(A.pk)
    eq(h?.length, 3)
    same(h?.last?.sig, f.last!.sig)
    eq(h?.last?._verified, true)
    eq((await repo.chainOf(f.last!.sig))?.height, 2)
    same(await repo.tipOf(f.first!.sig), f.last!.sig)
  })

  it('3 multi-author linear fast-forward (appendPolicy any)', async mk => {
    const repo = await mk([], { appendPolicy: 'any' })
    const A = user('A')
    const B = user('B')
    const f = grow(new Feed(), ['A0', A], ['A1', A])
    eq(await repo.merge(f), 2)
    eq(await repo.merge(grow(f, ['B0', B])), 1)
    eq(await repo.merge(grow(f, ['A2', A])), 1)
    eq(bodies(await repo.loadHead(A.pk)), 'A0 A1 B0 A2')
    same(await repo.ownerOf(f.block(2)!.sig), A.pk)
    same(await repo.latestOf(B.pk), f.block(2)!.sig)
    eq(await repo.headOf(B.pk), undefined)
    eq(bodies(await repo.loadLatest(B.pk)), 'A0 A1 B0')
  })

  it('4 each head keeps track of its own chain', async mk => {
    const repo = await mk(acceptAll)
    const [A, B, C, D] = [user('A'), user('B'), user('C'), user('D')]
    const own = new Feed()
    own.append('A0', A.sk)
    own.append('A1', A.sk)
    eq(await repo.merge(own), 2)
    for (const X of [B, C, D]) {
      const f = new Feed()
      f.append(`${X.name}0`, X.sk)
      f.append(`A@${X.name}`, A.sk)
      f.append(`${X.name}1`, X.sk)
      if (X === D) f.append('A@D2', A.sk)
      eq(await repo.merge(f), f.length)
    }
    eq(bodies(await repo.loadHead(A.pk)), 'A0 A1')
    eq(bodies(await repo.loadHead(B.pk)), 'B0 A@B B1')
    eq(bodies(await repo.loadLatest(A.pk)), 'D0 A@D D1 A@D2')
    eq(bodies(await repo.loadLatest(B.pk)), 'B0 A@B B1')
    eq((await repo.listHeads()).length, 4)
    eq((await repo.listLatest()).length, 4)
    eq((await repo.listTails()).length, 4)
  })

  it('5 partial rollback moves HEAD and relocates LATEST (R6)', async mk => {
    const repo = await mk(acceptAll)
    const A = user('A')
    const B = user('B')
    const fb = grow(new Feed(), ['B0', B], ['B2', B])
    const fa = grow(new Feed(), ['A0', A], ['A1', A], ['B1', B], ['A2', A], ['A3', A], ['B3', B])
    eq(await repo.merge(fb), 2)
    eq(await repo.merge(fa), 6)
    const B1 = fa.block(2)!.sig
    const ev = await repo.rollback(A.pk, B1)
    eq(bodies(ev), 'A2 A3 B3')
    same(await repo.headOf(A.pk), B1)
    same(await repo.headOf(B.pk), fb.last!.sig)
    same(await repo.latestOf(A.pk), fa.block(1)!.sig, 'LATEST(A) relocated to A1')
    same(await repo.latestOf(B.pk), B1, 'LATEST(B) relocated to B1')
    eq(await repo.hasBlock(fa.block(3)!.sig), false)
    eq(await repo.readBlock(fa.last!.sig), undefined)
    eq(bodies(await repo.loadHead(A.pk)), 'A0 A1 B1')
    same(await repo.tipOf(fa.first!.sig), B1)
    // the rolled-back blocks can be merged again
    eq(await repo.merge(fa), 3)
    eq(bodies(await repo.loadHead(A.pk)), 'A0 A1 B1 A2 A3 B3')
  })

  it('6 rollback of an empty repo, of one block, then a new first block', async mk => {
    const repo = await mk()
    const A = user('A')
    eq(await repo.rollback(A.pk), null)
    const f = new Feed()
    f.append('first', A.sk)
    eq(await repo.merge(f), 1)
    eq(bodies(await repo.rollback(A.pk)), 'first')
    eq(await repo.headOf(A.pk), undefined)
    eq(await repo.tailOf(A.pk), undefined)
    eq(await repo.latestOf(A.pk), undefined)
    eq((await repo.listFeeds()).length, 0)
    const g = new Feed()
    g.append('second', A.sk)
    eq(await repo.merge(g), 1)
    same(await repo.headOf(A.pk), g.first!.sig)
  })

  it('7 chain tags follow the tip', async mk => {
    const repo = await mk()
    const A = user('A')
    const f = grow(new Feed(), ['0', A])
    await repo.merge(f)
    let feeds = await repo.listFeeds()
    eq(feeds.length, 1)
    same(feeds[0]!.key, f.first!.sig)
    same(feeds[0]!.value, f.first!.sig)
    for (const x of ['1', '2', '3']) f.append(x, A.sk)
    eq(await repo.merge(f), 3)
    feeds = await repo.listFeeds()
    eq(feeds.length, 1)
    same(feeds[0]!.key, f.last!.sig)
    same(feeds[0]!.value, f.first!.sig)
    const heads = await repo.listFeedHeads()
    same(heads[0]!.key, f.first!.sig)
    same(heads[0]!.value, f.last!.sig)
    await repo.rollback(A.pk, f.block(-2)!.sig)
    feeds = await repo.listFeeds()
    same(feeds[0]!.key, f.block(-2)!.sig)
  })

  it('8 detached mode: independent chains of one author', async mk => {
    const repo = await mk([], { allowDetached: true })
    const A = user('A')
    const c1 = new Feed()
    c1.append('1a', A.sk)
    c1.append('1b', A.sk)
    const c2 = new Feed()
    c2.append('2a', A.sk)
    c2.append('2b', A.sk)
    eq(await repo.merge(c1), 2)
    eq(await repo.merge(c2), 2)
    c1.append('1c', A.sk)
    c1.append('1d', A.sk)
    eq(await repo.merge(c1), 2)
    eq(bodies(await repo.resolveFeed(c1.first!.sig)), '1a 1b 1c 1d')
    eq((await repo.listChains(A.pk)).length, 2)
    eq(bodies(await repo.rollback(c1.first!.sig, c1.block(1)!.sig)), '1c 1d')
    eq(bodies(await repo.resolveFeed(c1.first!.sig)), '1a 1b')
    eq(bodies(await repo.rollback(c2.first!.sig)), '2a 2b')
    await rejects(repo.resolveFeed(c2.first!.sig), 'FeedNotFound')
    // pointers that pointed into the removed chain moved to the remaining one (R6)
    same(await repo.headOf(A.pk), c1.block(1)!.sig)
    same(await repo.latestOf(A.pk), c1.block(1)!.sig)
    same(await repo.tailOf(A.pk), c1.first!.sig)
    eq(bodies(await repo.loadHead(A.pk)), '1a 1b')
  })

  it('8b default mode refuses a second genesis unless a strategy accepts it', async mk => {
    const repo = await mk()
    const A = user('A')
    const c1 = new Feed()
    c1.append('1a', A.sk)
    const c2 = new Feed()
    c2.append('2a', A.sk)
    eq(await repo.merge(c1), 1)
    eq(await repo.merge(c2), 0)
    let asked: Block | undefined
    eq(await repo.merge(c2, b => { asked = b; return true }), 1)
    same(asked?.sig, c2.first!.sig)
    same(await repo.headOf(A.pk), c2.first!.sig)
    same(await repo.tailOf(A.pk), c2.first!.sig)
  })

  it('9 resolveFeed from the middle; rollback; full rollback empties listFeeds', async mk => {
    const repo = await mk()
    const A = user('A')
    const f = new Feed()
    for (let i = 0; i < 8; i++) f.append(`b${i}`, A.sk)
    eq(await repo.merge(f), 8)
    eq((await repo.resolveFeed(f.block(2)!.sig)).length, 8)
    same((await repo.resolveFeed(f.block(2)!.sig)).last?.sig, f.block(7)!.sig)
    eq((await repo.rollback(A.pk, f.block(-3)!.sig))?.length, 2)
    same((await repo.resolveFeed(f.block(2)!.sig)).last?.sig, f.block(5)!.sig)
    eq((await repo.rollback(A.pk))?.length, 6)
    eq((await repo.listFeeds()).length, 0)
    eq((await repo.listHeads()).length, 0)
    eq((await repo.listLatest()).length, 0)
    eq((await repo.listTails()).length, 0)
    await rejects(repo.resolveFeed(f.block(2)!.sig), 'FeedNotFound')
  })

  it('10 resolveFeed(tip) after two merges', async mk => {
    const repo = await mk()
    const A = user('A')
    const f = new Feed()
    f.append('0', A.sk)
    f.append('1', A.sk)
    await repo.merge(f)
    f.append('2', A.sk)
    await repo.merge(f.slice(2))
    eq(bodies(await repo.resolveFeed(f.last!.sig)), '0 1 2')
  })

  it('11 dot export with a custom label and cross-links', async mk => {
    const repo = await mk()
    const A = user('A')
    const B = user('B')
    const fa = grow(new Feed(), ['A0', A], ['A1', A])
    const fb = grow(new Feed(), ['B0', B])
    await repo.merge(fa)
    await repo.merge(fb)
    const dot = await toDot(repo, {
      blockLabel: (block, builder) => {
        if (new TextDecoder().decode(block.body) === 'B0') builder.link(fa.first!.sig, { color: 'red' })
        return 'LBL:' + new TextDecoder().decode(block.body)
      }
    })
    ok(dot.startsWith('digraph'), 'a digraph')
    ok(dot.includes('LBL:A1') && dot.includes('LBL:B0'), 'custom labels')
    ok(dot.includes(`B${toHex(fb.first!.sig, 4)} -> B${toHex(fa.first!.sig, 4)}`), 'cross-link')
    ok(dot.includes('Blocks: 3'), 'graph label counts blocks')
    ok(dot.trimEnd().endsWith('}'), 'closed graph')
  })

  // ------------------------------------------------------------ loading

  it('loadFeed stops at a block limit or by callback', async mk => {
    const repo = await mk()
    const A = user('A')
    const f = new Feed()
    for (let i = 0; i < 6; i++) f.append(`b${i}`, A.sk)
    await repo.merge(f)
    eq(bodies(await repo.loadHead(A.pk, 2)), 'b4 b5')
    eq(bodies(await repo.loadHead(A.pk, 100)), 'b0 b1 b2 b3 b4 b5')
    eq(bodies(await repo.loadFeed(f.block(3)!.sig)), 'b0 b1 b2 b3')
    eq(bodies(await repo.loadHead(A.pk, (b, abort) => { if (new TextDecoder().decode(b.body) === 'b3') abort() })), 'b4 b5')
    eq(bodies(await repo.loadHead(A.pk, (b, abort) => { if (new TextDecoder().decode(b.body) === 'b3') abort(true) })), 'b3 b4 b5')
    eq(await repo.loadHead(A.pk, (_b, abort) => abort()), undefined)
    eq(await repo.loadFeed(new Uint8Array(64)), undefined)
    eq(await repo.loadHead(user('X').pk), undefined)
    const seen: string[] = []
    for await (const b of repo.chainload(f.block(2)!.sig)) seen.push(new TextDecoder().decode(b.body))
    eq(seen.join(' '), 'b2 b1 b0')
    await rejects(() => repo.loadHead(A.pk, 0), RangeError)
  })

  // ------------------------------------------------------------ forks (R2)

  it('forks are refused by default and stored as branches when a strategy accepts', async mk => {
    const repo = await mk()
    const A = user('A')
    const B = user('B')
    const trunk = new Feed()
    for (let i = 0; i < 4; i++) trunk.append(`t${i}`, A.sk)
    eq(await repo.merge(trunk), 4)
    const fork = trunk.slice(0, 2)
    fork.append('f2', B.sk)
    fork.append('f3', B.sk)
    eq(await repo.merge(fork), 0, 'fork refused without a strategy')
    const res = await repo.prepareBlock(fork.block(2)!, acceptAll)
    ok(res.accepted)
    eq(res.fork, true)
    eq(res.height, 2)
    same(res.chainId, fork.block(2)!.sig)
    same(res.root, trunk.first!.sig)
    same(res.owner, A.pk)
    eq(await repo.merge(fork, acceptAll), 2)
    // the fork is its own branch; both chains resolve to their own tips
    eq(bodies(await repo.resolveFeed(fork.block(2)!.sig)), 't0 t1 f2 f3')
    eq(bodies(await repo.resolveFeed(trunk.block(3)!.sig)), 't0 t1 t2 t3')
    eq(bodies(await repo.resolveFeed(trunk.block(0)!.sig)), 't0 t1 t2 t3')
    same(await repo.headOf(A.pk), fork.last!.sig, 'HEAD follows the accepted fork')
    same(await repo.ownerOf(fork.last!.sig), A.pk)
    eq((await repo.chainOf(fork.last!.sig))?.height, 3)
    eq((await repo.listChains()).length, 2)
    // the fork extends without a strategy: it is the head now
    fork.append('f4', A.sk)
    eq(await repo.merge(fork), 1)
    // the old trunk is no longer the head: extending it is a non-linear case again
    trunk.append('t4', A.sk)
    eq(await repo.merge(trunk), 0)
    eq(await repo.merge(trunk, acceptAll), 1)
    same(await repo.tipOf(trunk.first!.sig), trunk.last!.sig)
    // rolling back the trunk below the fork point removes the branch too
    const plan = await repo.prepareRollback(trunk.first!.sig, trunk.first!.sig)
    ok(plan !== null)
    eq(bodies(plan.evicted), 't1 t2 t3 t4')
    eq(plan.orphans.map(bodies).join('|'), 'f2 f3 f4')
    eq(await repo.hasBlock(fork.block(2)!.sig), true, 'nothing happens before the batch')
    await repo.db.batch(plan.ops)
    eq(await repo.hasBlock(fork.block(2)!.sig), false)
    eq(await repo.hasBlock(trunk.block(1)!.sig), false)
    eq((await repo.listChains()).length, 1)
    same(await repo.headOf(A.pk), trunk.first!.sig)
    same(await repo.latestOf(A.pk), trunk.first!.sig)
    eq(await repo.latestOf(B.pk), undefined)
  })

  it('rolling back a fork branch keeps the trunk', async mk => {
    const repo = await mk(acceptAll)
    const A = user('A')
    const trunk = new Feed()
    for (let i = 0; i < 3; i++) trunk.append(`t${i}`, A.sk)
    await repo.merge(trunk)
    const fork = trunk.slice(0, 1)
    fork.append('f1', A.sk)
    fork.append('f2', A.sk)
    eq(await repo.merge(fork), 2)
    eq(bodies(await repo.rollback(fork.last!.sig, trunk.first!.sig)), 'f1 f2')
    eq(bodies(await repo.resolveFeed(trunk.first!.sig)), 't0 t1 t2')
    same(await repo.headOf(A.pk), trunk.last!.sig, 'HEAD relocated to the tip of the chain that holds stopAt')
    same(await repo.latestOf(A.pk), trunk.first!.sig)
    eq((await repo.listChains()).length, 1)
    await rejects(repo.rollback(trunk.last!.sig, fork.last!.sig), 'ReferenceNotFound')
    await rejects(repo.rollback(trunk.last!.sig, trunk.last!.sig.map(x => x ^ 1)), 'ReferenceNotFound')
    eq(await repo.rollback(trunk.last!.sig, trunk.last!.sig), null)
  })

  it('detached mode accepts forks', async mk => {
    const repo = await mk([], { allowDetached: true })
    const A = user('A')
    const trunk = new Feed()
    for (let i = 0; i < 3; i++) trunk.append(`t${i}`, A.sk)
    await repo.merge(trunk)
    const fork = trunk.slice(0, 2)
    fork.append('f2', A.sk)
    eq(await repo.merge(fork), 1)
    eq(bodies(await repo.resolveFeed(fork.last!.sig)), 't0 t1 f2')
    eq(bodies(await repo.resolveFeed(trunk.last!.sig)), 't0 t1 t2')
  })

  it('appendPolicy owner (the default): other authors need a strategy, also in detached mode', async mk => {
    const repo = await mk()
    eq(repo.appendPolicy, 'owner')
    const A = user('A')
    const B = user('B')
    const f = new Feed()
    f.append('A0', A.sk)
    f.append('B0', B.sk)
    eq(await repo.merge(f), 1)
    const prep = await repo.prepareBlock(f.last!)
    eq(prep.accepted ? '' : prep.reason, 'Refused')
    eq(await repo.merge(f, b => b.body[0] === 0x42), 1)
    f.append('A1', A.sk) // the owner extends the chain, after B's block
    eq(await repo.merge(f), 1)
    const detached = await mk([], { allowDetached: true })
    const g = grow(new Feed(), ['A0', A], ['B0', B])
    eq(await detached.merge(g), 1)
    eq(bodies(await detached.loadHead(A.pk)), 'A0')
    await rejects(() => new Repo(repo.db, [], { appendPolicy: 'x' as 'any' }), TypeError)
  })

  // ------------------------------------------------------------ atomic building blocks

  it('prepareBlock writes nothing until its ops are applied', async mk => {
    const repo = await mk()
    const A = user('A')
    const f = grow(new Feed(), ['A0', A], ['A1', A])
    const r0 = await repo.prepareBlock(f.first!)
    ok(r0.accepted)
    eq(r0.height, 0)
    eq(await repo.hasBlock(f.first!.sig), false)
    eq(await repo.headOf(A.pk), undefined)
    eq((await repo.listChains()).length, 0)
    eq((await repo.prepareBlock(f.block(1)!)).accepted, false)
    const r1 = await repo.prepareBlock(f.block(1)!)
    eq(r1.accepted ? '' : r1.reason, 'ParentNotFound')
    // commit with an application op in the same batch (the store's usage)
    await repo.db.batch([...r0.ops, repo.regOp('state', 'x')])
    eq(await repo.hasBlock(f.first!.sig), true)
    eq(new TextDecoder().decode(await repo.readReg('state')), 'x')
    const again = await repo.prepareBlock(f.first!)
    eq(again.accepted ? '' : again.reason, 'Stored')
    const r2 = await repo.prepareBlock(f.block(1)!)
    ok(r2.accepted)
    await repo.db.batch(r2.ops)
    same(await repo.headOf(A.pk), f.block(1)!.sig)
    // a refused fork
    const fork = f.slice(0, 1)
    fork.append('F1', A.sk)
    const r3 = await repo.prepareBlock(fork.last!)
    eq(r3.accepted ? '' : r3.reason, 'Refused')
    // prepareRollback writes nothing either
    const plan = await repo.prepareRollback(A.pk)
    ok(plan !== null)
    eq(plan.evicted.length, 2)
    eq(await repo.hasBlock(f.first!.sig), true)
    await repo.db.batch([...plan.ops, repo.regOp('state', undefined)])
    eq(await repo.hasBlock(f.first!.sig), false)
    eq(await repo.readReg('state'), undefined)
  })

  it('strategies see the blocks merged before the one they judge', async mk => {
    const A = user('A')
    const B = user('B')
    let parentStored: boolean | undefined
    const repo = await mk(async (b, r) => {
      parentStored = await r.hasBlock(b.psig!)
      return true
    }, { appendPolicy: 'owner' })
    const f = grow(new Feed(), ['A0', A], ['A1', A], ['B2', B])
    eq(await repo.merge(f), 3)
    eq(parentStored, true, 'A1 was written before the strategy judged B2')
  })

  // ------------------------------------------------------------ bad input

  it('bad input: typed errors and no partial writes', async mk => {
    const repo = await mk()
    const A = user('A')
    const f = new Feed()
    for (let i = 0; i < 4; i++) f.append(`b${i}`, A.sk)
    // a partial feed whose parent is unknown
    await rejects(repo.merge(f.slice(2)), 'UnknownChain')
    eq((await repo.listHeads()).length, 0)
    // unrelated garbage
    await rejects(repo.merge(new Uint8Array([1, 2, 3, 4, 5])), FeedError)
    // a forged block inside a feed parsed without verification: nothing of the feed is stored
    const bytes = f.buffer.slice()
    bytes[bytes.length - 1] ^= 1
    const forged = Feed.from(bytes, true)
    await rejects(repo.merge(forged), 'SignatureVerificationFailed')
    eq(await repo.hasBlock(f.first!.sig), false)
    eq((await repo.listChains()).length, 0)
    eq(await repo.merge(new Feed()), 0)
    // wrong types
    await rejects(() => repo.hasBlock(5 as unknown as Uint8Array), TypeError)
    await rejects(() => repo.hasBlock('x'), RangeError)
    await rejects(() => repo.hasBlock(new Uint8Array(3)), RangeError)
    await rejects(() => repo.prepareBlock({} as Block), TypeError)
    await rejects(() => repo.rollback(new Uint8Array(5)), RangeError)
    await rejects(() => repo.merge(f, 5 as unknown as MergeStrategy), TypeError)
    await rejects(() => new Repo({} as RepoDb), TypeError)
    await rejects(() => new Repo(repo.db, [5 as unknown as MergeStrategy]), TypeError)
    eq(Repo.isRepo(repo), true)
    eq(Repo.isRepo({}), false)
    ok(new RepoError('Closed') instanceof Error)
  })

  it('closed database: every operation rejects with code Closed', async mk => {
    const repo = await mk()
    const A = user('A')
    const f = grow(new Feed(), ['A0', A])
    await repo.merge(f)
    await repo.close()
    await repo.close()
    const ops: Array<[string, () => Promise<unknown>]> = [
      ['merge', () => repo.merge(f)],
      ['prepareBlock', () => repo.prepareBlock(f.first!)],
      ['prepareRollback', () => repo.prepareRollback(A.pk)],
      ['rollback', () => repo.rollback(A.pk)],
      ['hasBlock', () => repo.hasBlock(f.first!.sig)],
      ['readBlock', () => repo.readBlock(f.first!.sig)],
      ['chainOf', () => repo.chainOf(f.first!.sig)],
      ['tipOf', () => repo.tipOf(f.first!.sig)],
      ['headOf', () => repo.headOf(A.pk)],
      ['loadHead', () => repo.loadHead(A.pk)],
      ['loadFeed', () => repo.loadFeed(f.first!.sig)],
      ['resolveFeed', () => repo.resolveFeed(f.first!.sig)],
      ['listHeads', () => repo.listHeads()],
      ['listFeeds', () => repo.listFeeds()],
      ['readReg', () => repo.readReg('k')],
      ['writeReg', () => repo.writeReg('k', 'v')],
      ['open', () => repo.open()],
      ['ownerOf', () => repo.ownerOf(f.first!.sig)],
      ['chainInfo', () => repo.chainInfo(f.first!.sig)],
      ['tailOf', () => repo.tailOf(A.pk)],
      ['latestOf', () => repo.latestOf(A.pk)],
      ['loadLatest', () => repo.loadLatest(A.pk)],
      ['chainload', async () => { for await (const _ of repo.chainload(f.first!.sig)) break }],
      ['listTails', () => repo.listTails()],
      ['listLatest', () => repo.listLatest()],
      ['listFeedHeads', () => repo.listFeedHeads()],
      ['listChains', () => repo.listChains()],
      ['listChains(owner)', () => repo.listChains(A.pk)]
    ]
    for (const [n, op] of ops) {
      const e = await rejects(op(), 'Closed')
      eq(e.name, 'RepoError', n)
    }
    const merge2 = new Feed()
    merge2.append('x', A.sk)
    await rejects(repo.merge(merge2), 'Closed')
  })

  it('many blocks: long chains merge and load in order', async mk => {
    const repo = await mk([], { appendPolicy: 'any' })
    const A = user('A')
    const B = user('B')
    const f = new Feed()
    for (let i = 0; i < 600; i++) f.append(`b${i}`, (i % 7 === 3 ? B : A).sk)
    eq(await repo.merge(f), 600)
    const h = await repo.loadHead(A.pk)
    eq(h?.length, 600)
    same(h?.last?.sig, f.last!.sig)
    eq((await repo.chainOf(f.last!.sig))?.height, 599)
    eq(str(await repo.latestOf(B.pk)), str(f.block(598)!.sig))
  })
}
