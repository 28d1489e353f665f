// Garbage collection, under the store's lock: timers due are visited; expired objects are swept with
// their index entries and references, and chains no object references any more are evicted,
// each sweep in one batch with its rollback.
import { type Feed } from '../feed/index.js'
import { bytesEqual, latin1, prefixRange } from '../internal/bytes.js'
import { delOp, putOp, type BatchOp } from '../internal/level.js'
import { normalizeExpiry, type Memory } from './memory.js'
import { StoreError } from './errors.js'
import type { Entry } from './txn.js'
import { encodeEntry } from './entry.js'
import { NONE, type ObjectId, stateKey, indexKey, refKey, refPrefix, timerKey, parseTimerKey, u64 } from './keys.js'
import type { StoreCore } from './core.js'

/** @internal number of objects that reference a block root */
export async function countReferences (c: StoreCore, blockRoot: Uint8Array): Promise<number> {
  const p = refPrefix(blockRoot)
  let n = 0
  for await (const _ of c.s.keys(prefixRange(p))) n++
  return n
}

/** @internal visits every timer due at `now` (under the lock, nothing staged); returns the evicted feeds */
export async function sweep (c: StoreCore, now: number): Promise<Feed[]> {
  const evicted: Feed[] = []
  const due: Uint8Array[] = []
  for await (const k of c.t.keys({ lt: u64(Math.floor(now) + 1) })) due.push(k)
  for (const k of due) await visit(c, k, now, evicted)
  return evicted
}

async function visit (c: StoreCore, k: Uint8Array, now: number, evicted: Feed[]): Promise<void> {
  const { due, name, id } = parseTimerKey(k)
  const m = c.roots.get(name)
  const e = m?._cache.get(id)
  if (m === undefined || e === undefined) { await c.t.del(k); return }
  if (e.exp !== due) {
    // A stale timer, or one a store before the expiry fix wrote with another rounding: the
    // object's own expiry is what counts; its timer is (re)written at that time.
    const ops = [delOp(c.tp, k)]
    const exp = normalizeExpiry(e.exp) ?? Infinity
    if (Number.isFinite(exp)) ops.push(putOp(c.tp, timerKey(exp, m._nameBytes, id), NONE))
    if (exp !== e.exp) ops.push(putOp(c.sp, stateKey(m._nameBytes, id), encodeEntry({ ...e, exp })))
    await c.db.batch(ops)
    if (exp !== e.exp) m._cache.set(id, { ...e, exp })
    if (exp <= now) await visit(c, timerKey(exp, m._nameBytes, id), now, evicted)
    return
  }
  let raw: unknown
  try {
    raw = c.guard(() => m.expiresAt(e.value, c.latch(undefined, 0)), m.expiresAt)
  } catch (error) {
    c.events.emit({ event: 'error', error })
    return
  }
  const exp = normalizeExpiry(raw)
  if (exp === undefined) {
    // Kept as it is (and visited again by the next run): the rule is broken, not the object.
    c.events.emit({ event: 'error', error: new StoreError('InvalidExpiry', `${m.name}.expiresAt() returned ${String(raw)}`) })
    return
  }
  if (exp > now) { await reschedule(c, m, k, id, e, exp); return }
  const ops: BatchOp[] = [delOp(c.tp, k), delOp(c.sp, stateKey(m._nameBytes, id))]
  for (const [key, bid] of e.idx) {
    const ik = indexKey(m._nameBytes, key)
    const cur = await c.get(ik)
    if (cur !== undefined && bytesEqual(cur, bid)) ops.push(delOp(c.sp, ik))
  }
  const gone: Array<{ feed: Feed, root: Uint8Array }> = []
  for (const r of e.roots) {
    const mine = refKey(r, m._nameBytes, id)
    ops.push(delOp(c.sp, mine))
    if (await referencedElsewhere(c, r, mine)) continue
    const feed = await evictChain(c, r, ops)
    if (feed !== null) gone.push({ feed, root: r })
  }
  ops.push(c.metaOp(m, m.version + 1))
  await c.db.batch(ops)
  m._cache.delete(id)
  m.version++
  m._changed()
  c.events.dirty.add(m.name)
  c.events.emit({ event: 'change', root: m.name, id, value: undefined })
  if (gone.length > 0) c.chains.clear()
  for (const { feed, root } of gone) {
    for (const b of feed.blocks) c.tombs.add(latin1(b.sig))
    evicted.push(feed)
    c.events.emit({ event: 'rollback', evicted: feed, root })
  }
}

/** Not due any more: moves the timer (or drops it for Infinity). */
async function reschedule (c: StoreCore, m: Memory, k: Uint8Array, id: ObjectId, e: Entry, exp: number): Promise<void> {
  const next: Entry = { ...e, exp }
  const ops = [delOp(c.tp, k), putOp(c.sp, stateKey(m._nameBytes, id), encodeEntry(next))]
  if (Number.isFinite(exp)) ops.push(putOp(c.tp, timerKey(exp, m._nameBytes, id), NONE))
  await c.db.batch(ops)
  m._cache.set(id, next)
}

/** Whether another object than `mine` references block root `r`. */
async function referencedElsewhere (c: StoreCore, r: Uint8Array, mine: Uint8Array): Promise<boolean> {
  for await (const rk of c.s.keys({ ...prefixRange(refPrefix(r)), limit: 2 })) if (!bytesEqual(rk, mine)) return true
  return false
}

/** Adds the rollback of chain `r` to `ops` (the acceptance log goes with the blocks' locations); the evicted feed, or null. */
async function evictChain (c: StoreCore, r: Uint8Array, ops: BatchOp[]): Promise<Feed | null> {
  const rb = await c.repo.prepareRollback(r)
  if (rb === null) return null
  ops.push(...rb.ops)
  return rb.evicted
}
