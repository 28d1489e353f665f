// The page's side of the sync: boot the kernel in IndexedDB, keep a WebSocket to the node open
// (reconnecting with a growing delay), and say what went wrong when storage is unavailable.
import { wsWire } from 'picostack/net'
import type { WebSocketLike } from 'picostack/net'
import { TaskKernel } from '../blockend/tasks'

/**
 * The node to sync with: `?node=ws://host:port/ws` if given, else the node that served the
 * page (same host, path /ws); null when the page was opened from a file.
 */
export function nodeUrl (loc: Location = location): string | null {
  const given = new URLSearchParams(loc.search).get('node')
  if (given !== null && given !== '') return given
  if (loc.protocol !== 'http:' && loc.protocol !== 'https:') return null
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`
}

/** Boots the app's kernel on IndexedDB (database `name`). */
export async function bootKernel (name: string): Promise<TaskKernel> {
  const kernel = new TaskKernel(name)
  try {
    await kernel.boot()
  } catch (err) {
    throw new Error(`This browser does not let the page store data (private mode or storage full?): ${(err as Error).message}`, { cause: err })
  }
  return kernel
}

/**
 * Keeps a connection to the node at `url`: each socket carries one wire of the kernel; when it
 * closes, a new one is tried after 0.5 s, doubling up to 15 s.
 *
 * @returns stops reconnecting and closes the socket
 */
export function connect (kernel: TaskKernel, url: string): () => void {
  let delay = 500
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let socket: WebSocket | undefined
  const open = (): void => {
    socket = new WebSocket(url)
    socket.addEventListener('open', () => { delay = 500 })
    socket.addEventListener('close', () => {
      if (stopped) return
      timer = setTimeout(open, delay)
      delay = Math.min(delay * 2, 15_000)
    })
    wsWire(kernel.spawnWire(), socket as unknown as WebSocketLike)
  }
  open()
  return () => {
    stopped = true
    clearTimeout(timer)
    socket?.close()
  }
}

/** Starts the app: kernel, connection to the node; shows a readable error if it cannot. */
export async function start (name: string, mount: (kernel: TaskKernel, target: HTMLElement) => void): Promise<void> {
  const target = document.getElementById('app') as HTMLElement
  try {
    const kernel = await bootKernel(name)
    const url = nodeUrl()
    if (url !== null) {
      const stop = connect(kernel, url)
      addEventListener('pagehide', stop)
    }
    Object.assign(globalThis, { kernel }) // for the browser console: kernel.tasks.state
    target.replaceChildren()
    mount(kernel, target)
  } catch (err) {
    const p = document.createElement('p')
    p.setAttribute('role', 'alert')
    p.textContent = (err as Error).message
    target.replaceChildren(p)
    throw err
  }
}
