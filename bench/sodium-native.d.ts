// Minimal typings for sodium-native 5 (untyped JavaScript), as far as bench/feed.ts uses it.
declare module 'sodium-native' {
  import type { SodiumLike } from '../src/feed/ed25519.sodium.js'
  const sodium: SodiumLike
  export default sodium
}
