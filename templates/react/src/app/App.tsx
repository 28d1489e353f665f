// The app's view. State comes from the kernel as neurons, read with useNuro.
import { useMemo, useState } from 'react'
import type { FormEvent } from 'react'
import { MAX_TITLE, STATUSES, listTasks, reasonOf } from '../blockend/tasks'
import type { Status, TaskEntry, TaskKernel } from '../blockend/tasks'
import { explain, when } from './text'
import { useNuro } from './use-nuro'

export function App ({ kernel }: { kernel: TaskKernel }) {
  // neurons are made once per kernel, not on every render
  const $tasks = useMemo(() => kernel.tasks.$(), [kernel])
  const $peers = useMemo(() => kernel.$connections(), [kernel])
  const tasks = useNuro($tasks)
  const peers = useNuro($peers)?.length ?? 0
  const list = useMemo(() => listTasks(tasks ?? {}), [tasks])
  const [title, setTitle] = useState('')
  const [error, setError] = useState('')

  const attempt = async (action: () => Promise<unknown>): Promise<boolean> => {
    setError('')
    try {
      await action()
      return true
    } catch (err) {
      setError(explain(reasonOf(err)))
      return false
    }
  }
  const add = async (event: FormEvent): Promise<void> => {
    event.preventDefault()
    if (await attempt(() => kernel.addTask(title))) setTitle('')
  }

  return (
    <main>
      <h1>__APP_NAME__</h1>
      <p className="peers" role="status">{peers} {peers === 1 ? 'peer' : 'peers'} connected</p>
      <form onSubmit={e => { void add(e) }}>
        <label htmlFor="new-task">New task</label>
        <input id="new-task" value={title} onChange={e => setTitle(e.target.value)} maxLength={MAX_TITLE} autoComplete="off" required />
        <button type="submit">Add</button>
      </form>
      {error !== '' && <p className="error" role="alert">{error}</p>}
      <ul aria-label="Tasks">
        {list.map(task => <Item key={task.id} task={task} mine={task.author === kernel.pk} move={status => { void attempt(() => kernel.setStatus(task.id, status)) }} />)}
        {list.length === 0 && <li>No tasks yet: add one above, then open this page in another browser.</li>}
      </ul>
    </main>
  )
}

function Item ({ task, mine, move }: { task: TaskEntry, mine: boolean, move: (status: Status) => void }) {
  const titleId = `title-${task.id}`
  return (
    <li className={task.status}>
      <span className="title" id={titleId}>{task.title}</span>
      <select
        aria-labelledby={titleId}
        value={task.status}
        disabled={!mine}
        title={mine ? 'Status' : 'Only its author can move this task'}
        onChange={e => move(e.target.value as Status)}
      >
        {STATUSES.map(s => <option key={s} value={s}>{s}</option>)}
      </select>
      <small>{mine ? 'you' : task.author.slice(0, 8)}, {when(task.created)}</small>
    </li>
  )
}
