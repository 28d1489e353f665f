// The packing of signature checks sent to a verification worker: one buffer per job,
// `count(u32)` then per item `msgLength(u32) sig(64) pk(32) msg`, little-endian. @internal
import type { VerifyItem } from '../feed/index.js'

const HEAD = 4 + 64 + 32

/** Packs items into one transferable buffer. @internal */
export function packItems (items: readonly VerifyItem[]): Uint8Array {
  let size = 4
  for (const it of items) size += HEAD + it.msg.length
  const out = new Uint8Array(size)
  const dv = new DataView(out.buffer)
  dv.setUint32(0, items.length, true)
  let p = 4
  for (const it of items) {
    dv.setUint32(p, it.msg.length, true)
    out.set(it.sig.subarray(0, 64), p + 4)
    out.set(it.pk.subarray(0, 32), p + 68)
    out.set(it.msg, p + HEAD)
    p += HEAD + it.msg.length
  }
  return out
}

/**
 * Runs `check` on every packed item; one verdict byte (1 = valid) per item. A buffer that
 * does not hold what its count says yields 0 for the items it lacks. @internal
 */
export function unpackVerdicts (buf: Uint8Array, check: (sig: Uint8Array, msg: Uint8Array, pk: Uint8Array) => boolean): Uint8Array {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const count = buf.length >= 4 ? dv.getUint32(0, true) : 0
  const ok = new Uint8Array(count)
  let p = 4
  for (let i = 0; i < count; i++) {
    if (p + HEAD > buf.length) break
    const len = dv.getUint32(p, true)
    if (p + HEAD + len > buf.length) break
    ok[i] = check(buf.subarray(p + 4, p + 68), buf.subarray(p + HEAD, p + HEAD + len), buf.subarray(p + 68, p + HEAD)) ? 1 : 0
    p += HEAD + len
  }
  return ok
}
