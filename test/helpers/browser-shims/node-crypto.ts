// A stand-in for node:crypto in browser bundles: randomBytes from WebCrypto.

/** `n` random bytes (WebCrypto, 64 KiB at a time). */
export function randomBytes (n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i += 65536) globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)))
  return out
}
