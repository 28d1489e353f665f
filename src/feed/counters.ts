/**
 * Counts of costly work, for tests and benchmarks (picofeed's `Feed.__vctr`): every
 * signature verification increments `verifications`. Reset it by assignment.
 */
export const counters: { verifications: number } = { verifications: 0 }
