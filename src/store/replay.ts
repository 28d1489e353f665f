// Restoring state from disk: `restore` reads the persisted state on load (no replay needed
// after a restart); `replay` rebuilds every derived record from the stored blocks, in their
// original acceptance order.
import type { Block } from '../feed/index.js'
import { latin1, prefixRange } from '../internal/bytes.js'
import { delOp, putOp, type BatchOp } from '../internal/level.js'
import { decodeBody } from './body.js'
import { StoreError } from './errors.js'
import { decodeEntry, decodeMeta } from './entry.js'
import { K_LOG, K_SEQ, K_STATE, K_META, K_INDEX, K_REF, K_VERSION, STORE_SCHEMA_VERSION, statePrefix, metaKey, parseIdKey, parseLogKey, parseSeqKey, u64, readU64, U64_SIZE } from './keys.js'
import { processBlock, linkOf } from './ingest.js'
import { GROUP_MAX, type Link, type Linked, type StoreCore } from './core.js'

function range (prefixByte: number): { gte: Uint8Array, lt: Uint8Array } {
  return { gte: Uint8Array.of(prefixByte), lt: Uint8Array.of(prefixByte + 1) }
}

/**
 * @internal Checks the store's layout version (writing it on a database that has none: a new
 * one, or one written before the key existed, whose layout is version 1).
 */
export async function checkVersion (c: StoreCore): Promise<void> {
  await c.repo.open()
  const v = await c.get(Uint8Array.of(K_VERSION))
  const version = v === undefined ? 1 : v.length === U64_SIZE ? readU64(v) : NaN
  if (version === 1) {
    await migrate1(c)
  } else if (version !== STORE_SCHEMA_VERSION) {
    throw new StoreError('UnsupportedVersion', `store layout version ${String(version)}, this code reads version ${STORE_SCHEMA_VERSION}`)
  }
}

/**
 * Version 1 -> 2, in one batch with the new version key: the acceptance log (`'Q'` id -> seq,
 * and the older `'L'` seq -> id) moves into the repo's block locations.
 */
async function migrate1 (c: StoreCore): Promise<void> {
  const entries: Array<[Uint8Array, number]> = []
  const dels: BatchOp[] = []
  for await (const [k, v] of c.s.iterator(range(K_LOG))) {
    if (k.length === 1) continue // the last-seq record stays
    entries.push([v, parseLogKey(k)])
    dels.push(delOp(c.sp, k))
  }
  for await (const [k, v] of c.s.iterator(range(K_SEQ))) {
    entries.push([parseSeqKey(k), readU64(v)]) // after the older log: the newer record wins
    dels.push(delOp(c.sp, k))
  }
  const ops = await c.repo._seqOps(entries)
  for (const d of dels) ops.push(d)
  // The position stays at least the newest migrated one (older metas did not hold it).
  let last = 0
  for (const [, seq] of entries) last = Math.max(last, seq)
  const stored = await c.get(Uint8Array.of(K_LOG))
  if (last > (stored === undefined ? 0 : readU64(stored))) ops.push(putOp(c.sp, Uint8Array.of(K_LOG), u64(last)))
  ops.push(putOp(c.sp, Uint8Array.of(K_VERSION), u64(STORE_SCHEMA_VERSION)))
  await c.db.batch(ops)
}

/**
 * @internal reads every collection's persisted state, versions, heads and the acceptance
 * position: the states and the metas are read in parallel (one scan each), point reads are
 * synchronous where the backend offers it.
 */
export async function restore (c: StoreCore): Promise<void> {
  await checkVersion(c)
  const metas = new Map<string, Uint8Array>()
  const scans: Array<Promise<void>> = [(async () => {
    for (const [k, v] of await c.s.iterator(range(K_META)).all()) metas.set(latin1(k), v)
  })()]
  for (const m of c.roots.values()) {
    const prefix = statePrefix(m._nameBytes)
    scans.push((async () => {
      const rows = await c.s.iterator(prefixRange(prefix)).all()
      m._cache.clear()
      for (const [k, v] of rows) m._cache.set(parseIdKey(k.subarray(prefix.length)), decodeEntry(v))
    })())
  }
  await Promise.all(scans)
  for (const m of c.roots.values()) {
    const meta = metas.get(latin1(metaKey(m._nameBytes)))
    if (meta !== undefined) {
      const { version, head } = decodeMeta(meta)
      m.version = version
      m.head = head ?? undefined
    }
    m._changed()
    c.events.dirty.add(m.name)
  }
  // The acceptance position: the highest `seq` of any collection meta (written with every
  // batch that accepts blocks), or the LAST_SEQ record (batches that touched no meta).
  let seq = 0
  for (const v of metas.values()) seq = Math.max(seq, decodeMeta(v).seq ?? 0)
  const last = await c.get(Uint8Array.of(K_LOG))
  if (last !== undefined) seq = Math.max(seq, readU64(last))
  c.seq = seq
}

/**
 * @internal Clears the derived records and replays the stored blocks in their acceptance order
 * (under the lock, nothing staged); adds the names of the collections touched to `touched`.
 */
export async function replay (c: StoreCore, touched: Set<string>): Promise<void> {
  const log = await c.repo._acceptanceLog()
  log.sort((a, b) => a[0] - b[0])
  const ids = log.map(e => e[1])
  for (const p of [K_STATE, K_META, K_INDEX, K_REF]) await c.s.clear(range(p))
  await c.db.batch([c.lastSeqOp()]) // the metas held the position
  await c.t.clear()
  c.chains.clear()
  for (const m of c.roots.values()) {
    m._cache.clear()
    m.version = 0
    m.head = undefined
    m._changed()
    c.events.dirty.add(m.name)
  }
  const links = new Map<string, Linked>()
  for (const id of ids) {
    const b: Block | undefined = await c.repo.readBlock(id)
    if (b === undefined) continue
    let link: Link | undefined
    if (b.psig === undefined) link = { parent: null, chainId: b.sig, owner: b.key }
    else link = links.get(latin1(b.psig)) ?? await linkOf(c, b.psig, undefined)
    if (link === undefined) continue
    const out = await processBlock(c, b, link, true)
    if (out.kind === 'ok') {
      links.set(latin1(b.sig), { ...link, parent: link.parent, block: b })
      touched.add(decodeBody(b.body).root)
      if (c.stage.blocks >= GROUP_MAX) await c.stage.flush()
    } else if (out.kind === 'reject' || out.kind === 'postpone') {
      await c.stage.flush()
      c.events.emit({ event: 'rejected', block: b, code: out.kind === 'reject' ? out.code : 'Postponed', reason: out.reason })
    }
  }
  await c.stage.flush()
}
