// Graphviz export of the stored chains, bottom to top.
import { toHex } from '../feed/index.js'
import type { Block } from '../feed/index.js'
import type { Repo } from './repo.js'

/** Lets a custom block label add edges from the block being labelled. */
export interface DotBuilder {
  /**
   * Draws a dashed edge from the current block to block `blockId` (e.g. an application reference).
   *
   * @param blockId - signature of the target block
   * @param attrs - extra Graphviz edge attributes
   */
  link (blockId: Uint8Array, attrs?: Record<string, string>): void
}

/** Options of {@link toDot}. */
export interface DotOptions {
  /** Graph label; defaults to a summary of authors, chains, blocks and bytes. */
  label?: string
  /** Label of a block node (plain text); the default shows id, author and the first body bytes. */
  blockLabel?: (block: Block, builder: DotBuilder) => string
  /** Colour overrides. */
  colors?: {
    /** Colour of a block in a chain. */
    block?: string
    /** Colour of a block whose parent is not stored. */
    orphanBlock?: string
  }
}

const PALETTE = {
  bg: '#2f383e', fill: '#2c323d', text: '#bbbba9', subtle: '#818e85', violet: '#cd94b0',
  rust: '#db797b', green: '#9ab278', sky: '#73a8a2', copper: '#d08c6d', cream: '#e8e3c4'
}

/**
 * Formats a byte count with powers of 1000 and one decimal (`B`, `kB`, `MB`, `GB`).
 *
 * @param n - bytes
 * @param space - put a space between number and unit
 * @returns the formatted size
 * @example bs(1500) // '1.5kB'
 */
export function bs (n: number, space = false): string {
  const units = ['B', 'kB', 'MB', 'GB']
  let u = 0
  let v = n
  while (v >= 1000 && u < units.length - 1) { v /= 1000; u++ }
  const num = u === 0 ? String(v) : v.toFixed(1)
  return num + (space ? ' ' : '') + units[u]
}

const hx8 = (b: Uint8Array): string => toHex(b, 4)
const q = (s: string): string => '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"'
const attrs = (a: Record<string, string>): string => '[' + Object.entries(a).map(([k, v]) => `${k}=${q(v)}`).join(', ') + ']'

/**
 * Renders the repository as a Graphviz DOT digraph: every stored chain with its blocks,
 * and the HEAD, TAIL, LATEST and chain tags pointing into them.
 *
 * @param repo - the repository
 * @param opts - label and colour options
 * @returns the DOT source
 * @throws RepoError `Closed`
 * @example
 * ```ts
 * const dot = await toDot(repo, { blockLabel: (b, g) => { g.link(refOf(b)); return 'post' } })
 * ```
 */
export async function toDot (repo: Repo, opts: DotOptions = {}): Promise<string> {
  const out: string[] = []
  const node = (id: string, a: Record<string, string>): void => { out.push(`  ${id} ${attrs(a)}`) }
  const edge = (from: string, to: string, a: Record<string, string> = {}): void => { out.push(`  ${from} -> ${to}${Object.keys(a).length > 0 ? ' ' + attrs(a) : ''}`) }
  const heads = await repo.listHeads()
  const tails = await repo.listTails()
  const latest = await repo.listLatest()
  const chains = await repo.listChains()
  const owned = new Set(heads.map(h => toHex(h.key)))
  let blocks = 0
  let total = 0
  let bodies = 0
  for (const c of chains) {
    const feed = await repo.loadFeed(c.tip, c.height - c.start + 1)
    const orphan = !owned.has(toHex(c.owner))
    for (const b of feed?.blocks ?? []) {
      blocks++
      total += b.blockSize
      bodies += b.size
      const id = 'B' + hx8(b.sig)
      const links: Array<[Uint8Array, Record<string, string>]> = []
      const label = opts.blockLabel !== undefined
        ? opts.blockLabel(b, { link: (to, a = {}) => { links.push([to, a]) } })
        : `ID: ${hx8(b.sig)}\nKEY: ${hx8(b.key)}\nBDY: ${toHex(b.body, 8)}`
      const color = orphan ? (opts.colors?.orphanBlock ?? PALETTE.sky) : (opts.colors?.block ?? PALETTE.cream)
      node(id, { label, shape: 'box', color, fontcolor: color })
      if (b.psig !== undefined) edge(id, 'B' + hx8(b.psig), { color: PALETTE.subtle })
      for (const [to, a] of links) edge(id, 'B' + hx8(to), { style: 'dashed', color: PALETTE.copper, ...a })
    }
    node('F' + hx8(c.tip), { label: `@chain TAIL\n${hx8(c.chainId)}`, shape: 'cds', color: PALETTE.rust, fontcolor: PALETTE.rust })
    node('FT' + hx8(c.chainId), { label: `@chain HEAD\n${hx8(c.chainId)}`, shape: 'cds', color: PALETTE.rust, fontcolor: PALETTE.rust })
    edge('B' + hx8(c.chainId), 'F' + hx8(c.tip), { color: PALETTE.rust })
    edge('FT' + hx8(c.chainId), 'B' + hx8(c.tip), { color: PALETTE.rust })
  }
  for (const h of heads) {
    node('H' + hx8(h.key), { label: `@author HEAD\n${hx8(h.key)}`, shape: 'cds', color: PALETTE.violet, fontcolor: PALETTE.violet })
    edge('H' + hx8(h.key), 'B' + hx8(h.value), { color: PALETTE.violet })
  }
  for (const t of tails) {
    node('T' + hx8(t.value), { label: `@author TAIL\n${hx8(t.key)}`, shape: 'cds', color: PALETTE.violet, fontcolor: PALETTE.violet })
    edge('T' + hx8(t.value), 'B' + hx8(t.value), { color: PALETTE.violet, dir: 'back' })
  }
  for (const l of latest) {
    node('L' + hx8(l.key), { label: `@latest\n${hx8(l.key)}`, shape: 'cds', color: PALETTE.green, fontcolor: PALETTE.green })
    edge('L' + hx8(l.key), 'B' + hx8(l.value), { color: PALETTE.green })
  }
  const overhead = total - bodies
  const pct = total === 0 ? 0 : Math.round(overhead / total * 1000) / 10
  const label = opts.label ?? `[PicoRepo] Authors: ${latest.length} Feeds: ${chains.length}, Blocks: ${blocks}, Bytes: ${bs(total)} (${bs(overhead)} ${pct}%)`
  return [
    'digraph PicoRepo {',
    `  graph ${attrs({ rankdir: 'BT', bgcolor: PALETTE.bg, fontcolor: PALETTE.text, label, labelloc: 't' })}`,
    `  node ${attrs({ style: 'filled', fillcolor: PALETTE.fill, fontname: 'monospace', fontcolor: PALETTE.text })}`,
    `  edge ${attrs({ color: PALETTE.subtle })}`,
    ...out,
    '}',
    ''
  ].join('\n')
}
