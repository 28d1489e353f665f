// The reply-timeout wheel of every wire in the process: one timer for all timed waits.
import { timeout as timeoutError } from './errors.js'

/** The clock of reply deadlines (ms, monotonic). */
export const clock = (): number => performance.now()

/*
 * Reply timeouts share one timer (module-wide) instead of arming one per message. Timed waits sit
 * in one intrusive list per timeout length (as Node's own timer lists): within a list deadlines
 * only grow, so adding and removing a wait is O(1) with no hashing, and the earliest deadline is
 * the smallest list head. The timer is set for it; when it fires it fails the expired waits and
 * re-arms for the next one. While no timed wait is open the timer is unref'd so it never keeps a
 * process alive.
 */
/** A wait with a reply deadline, linked into the list of its timeout length. */
export interface Timed {
  /** Its timeout (ms): the list it sits in. */
  readonly ms: number
  /** When it expires, on {@link clock}. */
  readonly deadline: number
  /** The list it sits in, or null when not scheduled. */
  timerList: TimerList | null
  /** Its neighbours in that list. */
  timerPrev: Timed | null
  /** Its neighbours in that list. */
  timerNext: Timed | null
  /** Fails the wait (its deadline passed). */
  fail (err: Error): unknown
}

/** The waits of one timeout length, in deadline order. */
export interface TimerList { head: Timed | null, tail: Timed | null }
const timerLists: Map<number, TimerList> = new Map()
let timedCount = 0
let sweepTimer: ReturnType<typeof setTimeout> | null = null
let sweepAt = Infinity
let sweepRefed = false

function arm (deadline: number): void {
  if (sweepTimer !== null) clearTimeout(sweepTimer)
  sweepAt = deadline
  sweepTimer = setTimeout(sweep, Math.max(1, Math.ceil(deadline - clock())))
  sweepRefed = true
}

/** Adds a wait to the list of its timeout length and arms the shared timer if it is the earliest. */
export function schedule (p: Timed): void {
  let list = timerLists.get(p.ms)
  if (list === undefined) { list = { head: null, tail: null }; timerLists.set(p.ms, list) }
  p.timerList = list
  p.timerPrev = list.tail
  if (list.tail === null) list.head = p
  else list.tail.timerNext = p
  list.tail = p
  timedCount++
  if (p.deadline < sweepAt) arm(p.deadline)
  else if (!sweepRefed) { (sweepTimer as { ref?: () => void } | null)?.ref?.(); sweepRefed = true }
}

/** Removes a wait (settled or abandoned) from its list. */
export function unschedule (p: Timed): void {
  const list = p.timerList
  if (list === null) return
  const { timerPrev: prev, timerNext: next } = p
  if (prev === null) list.head = next
  else prev.timerNext = next
  if (next === null) list.tail = prev
  else next.timerPrev = prev
  p.timerList = p.timerPrev = p.timerNext = null
  if (--timedCount === 0 && sweepRefed) { (sweepTimer as { unref?: () => void } | null)?.unref?.(); sweepRefed = false }
}

function sweep (): void {
  sweepTimer = null
  sweepAt = Infinity
  sweepRefed = false
  const now = clock()
  const expired: Timed[] = []
  for (const list of timerLists.values()) {
    for (let p = list.head; p !== null && p.deadline <= now; p = p.timerNext) expired.push(p)
  }
  if (timerLists.size > 1) expired.sort((x, y) => x.deadline - y.deadline) // stable: ties keep posting order
  for (const p of expired) p.fail(timeoutError(p.ms))
  let next = Infinity
  for (const [ms, list] of timerLists) {
    if (list.head === null) timerLists.delete(ms)
    else if (list.head.deadline < next) next = list.head.deadline
  }
  if (next !== Infinity && next < sweepAt) arm(next)
}
