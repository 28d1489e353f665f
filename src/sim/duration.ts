import { simError } from './errors.js'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * Parses a duration: a number of ms, or a string like `500ms`, `30s`, `10m`, `1h30m`, `2d`.
 *
 * @param input - the duration
 * @param what - the option's name, for the error
 * @returns integer milliseconds
 * @throws SimError `BadOption`
 */
export function parseDuration (input: number | string, what = 'duration'): number {
  if (typeof input === 'number') {
    if (Number.isFinite(input) && input >= 0) return Math.round(input)
    throw simError('BadOption', `"${what}" expected a non-negative duration, got ${String(input)}`)
  }
  if (typeof input !== 'string') throw simError('BadOption', `"${what}" expected a duration, got ${typeof input}`)
  const s = input.trim()
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s))
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy
  let total = 0
  let end = 0
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    total += Number(m[1]) * (UNITS[m[2] as string] as number)
    end = re.lastIndex
  }
  if (end === 0 || end !== s.length) throw simError('BadOption', `"${what}" expected a duration like 500ms, 30s, 10m or 1h, got ${JSON.stringify(input)}`)
  return Math.round(total)
}
