// Minimal typings for the untyped hyperswarm 4 and @hyperswarm/testnet packages, as far as
// picostack uses them (Modem56 tests, the `picostack node` command).
declare module 'hyperswarm' {
  import type { SwarmLike } from '../modem/types.js'
  export interface HyperswarmOptions {
    dht?: unknown
    bootstrap?: Array<string | { host: string, port: number }>
    keyPair?: { publicKey: Uint8Array, secretKey: Uint8Array }
    maxPeers?: number
  }
  export default class Hyperswarm implements SwarmLike {
    constructor (options?: HyperswarmOptions)
    readonly keyPair: { publicKey: Uint8Array, secretKey: Uint8Array }
    readonly connections: Set<unknown>
    on (event: 'connection', listener: Parameters<SwarmLike['on']>[1]): this
    on (event: 'update', listener: () => void): this
    removeListener (event: 'connection', listener: Parameters<SwarmLike['on']>[1]): this
    join (topic: Uint8Array, options?: { server?: boolean, client?: boolean }): { flushed (): Promise<void>, destroy (): Promise<void> }
    leave (topic: Uint8Array): Promise<void>
    flush (): Promise<boolean>
    destroy (): Promise<void>
  }
}

declare module '@hyperswarm/testnet' {
  export interface Testnet {
    readonly nodes: unknown[]
    readonly bootstrap: Array<{ host: string, port: number }>
    createNode (options?: Record<string, unknown>): unknown
    destroy (): Promise<void>
  }
  export default function createTestnet (size?: number, options?: { host?: string, port?: number }): Promise<Testnet>
}

declare module 'hyperdht' {
  export default class HyperDHT {
    constructor (options?: { bootstrap?: Array<string | { host: string, port: number }>, host?: string, port?: number, ephemeral?: boolean, firewalled?: boolean })
    fullyBootstrapped (): Promise<void>
    address (): { host: string, port: number }
    destroy (): Promise<void>
  }
}
