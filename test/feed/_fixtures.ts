// Deterministic keys, bodies and feed shapes shared by the feed tests, the fixture generator
// and the benchmarks. Ed25519 is deterministic, so every shape has exactly one byte form.
import { createHash } from 'node:crypto'

/** The secret of picofeed's own test suite (spec/feed.md §3). */
export const SPEC_SK = 'f1d0ea8c8dc3afca9766ee6104f02b6ea427f1d24e3e4d6813b09946dff11dfa'
export const SPEC_PK = '7f27cc492c272e24f1a1428dd528c9f089f36a3d17aa4695958601104d61792e'

/** Secret number `i` (hex), derived from a fixed label. */
export function secret (i: number): string {
  return createHash('sha256').update(`picostack test secret ${i}`).digest('hex')
}

/** A body of `len` bytes whose first byte is never 0 (spec/feed.md §2.4). */
export function body (len: number, seed = 0): Uint8Array {
  const b = new Uint8Array(len)
  for (let i = 0; i < len; i++) b[i] = (i * 31 + seed * 17) % 251 + 1
  return b
}

/** Body lengths around every varint boundary of `dlen` (genesis adds 34, others 100). */
export const BODY_SIZES: readonly number[] = [1, 5, 93, 94, 127, 128, 16383, 16384, 16349, 16350, 100000]

/** One append: body length, body seed, author index. */
export interface Step { len: number, seed: number, author: number }

/** Named sequences of appends. */
export const SHAPES: Record<string, readonly Step[]> = {
  'one author, every size': BODY_SIZES.map((len, i) => ({ len, seed: i, author: 0 })),
  'three authors round robin': Array.from({ length: 9 }, (_, i) => ({ len: [1, 127, 128, 300][i % 4] as number, seed: i, author: i % 3 })),
  'genesis only, 16384 bytes': [{ len: 16384, seed: 7, author: 1 }],
  'ten authors, small bodies': Array.from({ length: 20 }, (_, i) => ({ len: 1 + (i * 7) % 40, seed: i, author: i % 10 }))
}

/** The minimal feed API both implementations share. */
export interface AnyFeed {
  append (data: Uint8Array | string, sk: string): number
  readonly buffer: Uint8Array
}

/** Runs `steps` on `feed`. */
export function build<F extends AnyFeed> (feed: F, steps: readonly Step[]): F {
  for (const s of steps) feed.append(body(s.len, s.seed), secret(s.author))
  return feed
}
