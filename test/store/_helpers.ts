// Test helpers: fresh databases per backend (memory-level and classic-level in a temp dir).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryLevel } from 'memory-level'
import { ClassicLevel } from 'classic-level'
import type { AbstractLevel } from 'abstract-level'
import { Memory } from '../../src/store/index.js'
import type { ComputeContext } from '../../src/store/index.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDb = AbstractLevel<any, any, any>

export interface Backend {
  name: string
  /** Fresh database; `reopen(path)` for persistence tests returns a db at the same location. */
  open: () => { db: AnyDb, path: string }
  reopen: (path: string) => AnyDb | undefined
}

const dirs: string[] = []
process.on('exit', () => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

export function tempDir (): string {
  const d = mkdtempSync(join(tmpdir(), 'picostore-'))
  dirs.push(d)
  return d
}

export const backends: Backend[] = [
  {
    name: 'memory-level',
    open: () => ({ db: new MemoryLevel({ keyEncoding: 'view', valueEncoding: 'view' }) as AnyDb, path: '' }),
    reopen: () => undefined
  },
  {
    name: 'classic-level',
    open: () => {
      const path = join(tempDir(), 'db')
      return { db: new ClassicLevel(path, { keyEncoding: 'view', valueEncoding: 'view' }) as unknown as AnyDb, path }
    },
    reopen: (path) => new ClassicLevel(path, { keyEncoding: 'view', valueEncoding: 'view' }) as unknown as AnyDb
  }
]

/** One object (id 0) that takes 1, 2, 3 ... in order and records every payload it computed. */
export class Seq extends Memory<number> {
  override initialValue = 0
  computed: number[] = []
  override idOf (): number { return 0 }
  override compute (value: number, { payload, reject }: ComputeContext): number | ReturnType<ComputeContext['reject']> {
    this.computed.push(payload as number)
    if (payload !== value + 1) return reject('NotNext')
    return payload as number
  }
}
