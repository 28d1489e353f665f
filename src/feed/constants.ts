/** Magic bytes "PIC0" that open a feed buffer. */
export const PIC0: Uint8Array = new Uint8Array([0x50, 0x49, 0x43, 0x30])
/** Header type of the author's public key (32 bytes). */
export const HDR_AUTHOR = 1
/** Header type of the parent block's signature (64 bytes). */
export const HDR_PSIG = 2
/** Signature length (and block id length). */
export const SIG_SIZE = 64
/** Public key length. */
export const KEY_SIZE = 32
/** Default capacity of a new feed's buffer. */
export const DEFAULT_CAPACITY = 2048
/** Brand carried by Feed instances (`Symbol.for`, so it works across copies of the library). */
export const symFeed: unique symbol = Symbol.for('PIC0::Feed') as never
/** Brand carried by Block instances. */
export const symBlock: unique symbol = Symbol.for('PIC0::Block') as never
/** 64 zero bytes: the parent every genesis block shares, for alignment. */
export const ZERO_PARENT: Uint8Array = new Uint8Array(64)
/** Node's custom inspection symbol (`util.inspect.custom`), used for pretty printing. */
export const symInspect: unique symbol = Symbol.for('nodejs.util.inspect.custom') as never
