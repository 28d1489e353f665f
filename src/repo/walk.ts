// Chain walks: blocks from a block back towards genesis, one range scan per chain segment.
import { cmp } from '../feed/index.js'
import type { Block } from '../feed/index.js'
import { repoErr } from './errors.js'
import type { RepoIo } from './db.js'
import type { LoadStop } from './repo.js'

/** @internal blocks from `ptr` back, newest first, as far as `stop` allows */
export async function walk (io: RepoIo, ptr: Uint8Array, stop: LoadStop | undefined): Promise<Block[]> {
  const out: Block[] = []
  const limit = typeof stop === 'number' ? stop : Infinity
  const fn = typeof stop === 'function' ? stop : undefined
  let loc = await io.loc(ptr)
  let expect: Uint8Array | undefined = ptr
  while (loc !== undefined) {
    const info = await io.chain(loc.chainId)
    if (info === undefined) throw repoErr('ParentNotFound', 'chain index missing')
    const want = Math.min(loc.height - info.start + 1, limit - out.length)
    const segment = await io.segment(loc.chainId, loc.height - want + 1, loc.height)
    if (segment.length !== want) throw repoErr('ParentNotFound', 'a block of the chain is missing')
    for (const b of segment) {
      if (!cmp(b.sig, expect as Uint8Array)) throw repoErr('ParentNotFound', 'a block of the chain is missing')
      if (fn !== undefined) {
        let act = 0
        fn(b, (inclusive = false) => { act = inclusive ? 2 : 1 })
        if (act === 1) return out
        out.push(b)
        if (act === 2) return out
      } else {
        out.push(b)
      }
      expect = b.psig
    }
    if (expect === undefined || out.length >= limit) return out
    loc = await io.loc(expect)
    if (loc === undefined) throw repoErr('ParentNotFound', 'a parent block is missing')
  }
  return out
}

/** @internal backward iteration from `sig`, newest first; each read checks the database is open */
export async function * chainload (io: RepoIo, sig: Uint8Array): AsyncGenerator<Block, void, undefined> {
  let loc = await io.run(() => io.loc(sig))
  let expect: Uint8Array | undefined = sig
  while (loc !== undefined && expect !== undefined) {
    const at = loc
    const info = await io.run(() => io.chain(at.chainId))
    if (info === undefined) throw repoErr('ParentNotFound', 'chain index missing')
    const segment = await io.segment(at.chainId, info.start, at.height)
    for (const b of segment) {
      if (!cmp(b.sig, expect as Uint8Array)) throw repoErr('ParentNotFound', 'a block of the chain is missing')
      yield b
      expect = b.psig
    }
    if (expect === undefined) return
    const next: Uint8Array = expect
    loc = await io.run(() => io.loc(next))
    if (loc === undefined) throw repoErr('ParentNotFound', 'a parent block is missing')
  }
}
