/**
 * An Ed25519 implementation (RFC 8032, pure Ed25519, strict verification). Every
 * implementation produces the same bytes: signing is deterministic.
 */
export interface Ed25519 {
  /** Name of the backend, e.g. `node:crypto` or `@noble/curves`. */
  readonly name: string
  /** Public key (32 bytes) of a 32-byte secret seed. */
  getPublicKey (seed: Uint8Array): Uint8Array
  /** 64-byte signature of `msg` under the 32-byte secret seed. */
  sign (msg: Uint8Array, seed: Uint8Array): Uint8Array
  /** True when `sig` is a valid signature of `msg` under `pk`; false otherwise. */
  verify (sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean
  /** Optional: the same check off the calling thread (node:crypto runs it on libuv's pool). */
  verifyAsync? (sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): Promise<boolean>
}
