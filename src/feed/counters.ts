/**
 * Counts of costly work, for tests and benchmarks (picofeed's `Feed.__vctr`): every
 * signature verification increments `verifications`. Reset it by assignment.
 */
export const counters: {
  /** Signature verifications so far. */
  verifications: number
} = { verifications: 0 }
