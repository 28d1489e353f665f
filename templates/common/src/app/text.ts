// Words of the view: the rules' reasons in plain language, dates.

const REASONS: Record<string, string> = {
  InvalidTitle: 'A task needs a title (at most 140 characters).',
  InvalidStatus: 'That status does not exist.',
  NotAuthor: 'Only the author of a task can move it.',
  UnknownTask: 'That task is not known here (yet).',
  FromTheFuture: 'This device\'s clock is ahead: check the date and time.'
}

/** A rule's reason, in words. */
export function explain (reason: string): string {
  return REASONS[reason] ?? reason
}

/** A date for humans: the time today, else the day. */
export function when (ms: number): string {
  const d = new Date(ms)
  return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString() : d.toLocaleDateString()
}
