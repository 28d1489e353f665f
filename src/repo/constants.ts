// Key layout of the repo, with clear names and an index for each question asked of it.
// Every key is one namespace byte followed by the key material, inside the `repo` sublevel.

/**
 * HEAD: owner pk(32) -> id(64) of the chain tracked for that owner (its tip is the owner's
 * head). Written when the tracked chain changes, not with every block (layout version 2;
 * version 1 stored the tip's signature).
 */
export const NS_HEAD = 0x00
/** BLOCK: block sig(64) -> raw block bytes. */
export const NS_BLOCK = 0x01
/** TAIL: author pk(32) -> genesis sig(64) most recently written by that author. */
export const NS_TAIL = 0x02
/** LATEST: author pk(32) -> sig(64) of the last block written by that author. */
export const NS_LATEST = 0x03
/** REG: application registry, arbitrary key -> arbitrary value. */
export const NS_REG = 0x04
/**
 * BLOCK_TO_CHAIN: block sig(64) -> chain id(64) ‖ height u32be ‖ owner(32) [‖ seq u64be: the
 * acceptance position a store gave the block (layout version 2), so it needs no record of its own].
 */
export const NS_BLOCK_TO_CHAIN = 0x05
/** CHAIN_INFO: chain id(64) -> owner(32) ‖ tip(64) ‖ tip height u32be ‖ start height u32be ‖ root(64) [‖ parent(64)]. */
export const NS_CHAIN_INFO = 0x06
/** CHAIN_CHILDREN: parent chain id(64) ‖ child chain id(64) -> child start height u32be (forks). */
export const NS_CHAIN_CHILDREN = 0x07
/** OWNER_CHAINS: owner pk(32) ‖ chain id(64) -> start height u32be. */
export const NS_OWNER_CHAINS = 0x08

/** VERSION: the single key `0x09` -> layout version u32be (see {@link SCHEMA_VERSION}). */
export const NS_VERSION = 0x09

/**
 * Layout version this code writes and reads; a database without the key is version 1. Version 1
 * databases are migrated on open (their HEAD records become chain ids).
 */
export const SCHEMA_VERSION = 2

/** Name of the sublevel that holds the repo's keys in the root database. */
export const SUBLEVEL = 'repo'

/** Size of a namespace byte, a public key, a signature (block id, chain id), a u32. */
export const NS_SIZE = 1
export const PK_SIZE = 32
export const SIG_SIZE = 64
export const U32_SIZE = 4

// BLOCK_TO_CHAIN value: chain id ‖ height u32be ‖ owner.
export const LOC_CHAIN: number = 0
export const LOC_HEIGHT: number = LOC_CHAIN + SIG_SIZE
export const LOC_OWNER: number = LOC_HEIGHT + U32_SIZE
/** Size of a BLOCK_TO_CHAIN value without an acceptance position. */
export const LOC_SIZE: number = LOC_OWNER + PK_SIZE
/** Size of a BLOCK_TO_CHAIN value with an acceptance position (u64be). */
export const LOC_SEQ_SIZE: number = LOC_SIZE + 8

// CHAIN_INFO value: owner ‖ tip ‖ tip height u32be ‖ start height u32be ‖ root [‖ parent].
export const CHAIN_OWNER: number = 0
export const CHAIN_TIP: number = CHAIN_OWNER + PK_SIZE
export const CHAIN_HEIGHT: number = CHAIN_TIP + SIG_SIZE
export const CHAIN_START: number = CHAIN_HEIGHT + U32_SIZE
export const CHAIN_ROOT: number = CHAIN_START + U32_SIZE
/** Size of a CHAIN_INFO value without a parent (the parent, when present, follows). */
export const CHAIN_SIZE: number = CHAIN_ROOT + SIG_SIZE
/** How many accepted blocks `merge` collects before it writes a batch. */
export const MERGE_BATCH_BLOCKS = 256
