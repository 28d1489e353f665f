// Minimal typings for hypercore 11 (untyped JavaScript), as far as bench/vs-hypercore.ts uses it.
declare module 'hypercore' {
  import type { Duplex } from 'node:stream'
  /** hypercore-storage's CoreStorage (one RocksDB holding many cores). */
  export interface CoreStorage { readonly __coreStorage?: never }
  export default class Hypercore {
    constructor (storage: string | CoreStorage, key?: Uint8Array | null, opts?: Record<string, unknown>)
    static defaultStorage (storage: string | CoreStorage): CoreStorage
    readonly key: Uint8Array
    readonly length: number
    readonly contiguousLength: number
    ready (): Promise<void>
    append (block: Uint8Array | Uint8Array[]): Promise<{ length: number, byteLength: number }>
    get (index: number): Promise<Uint8Array | null>
    download (range: { start: number, end: number }): { done (): Promise<void> }
    /** A protocol stream to pipe to a socket, or the cores' shared stream when given one. */
    replicate (isInitiatorOrStream: boolean | Duplex): Duplex
    close (): Promise<void>
  }
}
