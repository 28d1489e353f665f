// The page's peer: one kernel per tab (the todo rules of the node, on IndexedDB), its
// connection to the node over WebSocket (redialled with backoff), and what the devtools panel
// shows, all as neurons. Browser code: no Node built-ins.
import { NodeKernel as DemoKernel } from '../src/cli/demo.js'
import { toHex } from '../src/feed/index.js'
import type { ChainStatus } from '../src/kernel/index.js'
import { wsWire } from '../src/net/index.js'
import type { WebSocketLike } from '../src/net/index.js'
import { write } from '../src/nuro/index.js'
import type { Neuron } from '../src/nuro/index.js'
import type { StoreEvent } from '../src/store/index.js'
import { refusalOf } from '../src/todo/index.js'
import { joinMeshes, meshOptions } from './mesh.js'

export { DemoKernel }

/** One transport link of this tab (what the panel lists under connections). */
export interface Link {
  /** Local number of the link. */
  id: number
  /** How it is carried: the node's WebSocket, another tab (BroadcastChannel) or a WebRTC data channel. */
  transport: 'websocket' | 'tab' | 'webrtc'
  /** Where to (a URL, a channel name). */
  to: string
  /** Its state. */
  state: 'connecting' | 'open' | 'closed'
  /** When it opened, or was dialled (ms epoch). */
  since: number
  /** Bytes received. */
  bytesIn: number
  /** Bytes sent. */
  bytesOut: number
  /** Why the last one closed (an error code), if it did not close cleanly. */
  error?: string
}

/** One block the store accepted or refused, as the panel shows it. */
export interface BlockEntry {
  /** When (ms epoch). */
  at: number
  /** Accepted or refused. */
  kind: 'accepted' | 'rejected'
  /** Block id, hex (first 16 digits). */
  id: string
  /** Signer, hex (first 16 digits). */
  author: string
  /** The collection, for accepted blocks. */
  root?: string
  /** The store's rejection code. */
  code?: string
  /** The reason (an application's code such as `NotAuthor`). */
  reason?: string
}

/** What the panel shows about the store. */
export interface StoreView {
  /** Chains held, with their heights. */
  chains: Array<{ owner: string, chainId: string, height: number }>
  /** Blocks waiting in the mempool for their parent, and their bytes. */
  mempool: { blocks: number, bytes: number }
  /** The state of each collection. */
  collections: Record<string, unknown>
  /** Sync engine byte counters. */
  traffic: { inboundBytes: number, outboundBytes: number, bytesSent: number }
}

/** Where this tab keeps its blocks. */
export interface Storage {
  /** `indexeddb` or `memory` (storage unavailable). */
  kind: 'indexeddb' | 'memory'
  /** The IndexedDB database name. */
  name: string
}

/** The running peer of one tab. */
export interface Peer {
  kernel: DemoKernel
  storage: Storage
  /** The transport links of this tab. */
  $links: Neuron<Link[]>
  /** The last accepted and refused blocks, newest first. */
  $blocks: Neuron<BlockEntry[]>
  /** Chains, mempool, collections. */
  $store: Neuron<StoreView>
  /** A readable error for the user (storage unavailable, quota exceeded, ...), or null. */
  $error: Neuron<string | null>
  /** Shows an error to the user (null clears it). */
  setError: (message: string | null) => void
  /** Adds a link to the panel's list and returns its updater (used by transports). */
  addLink: (link: Omit<Link, 'id'>) => (patch: Partial<Link> | null) => void
  /** Stops dialling and halts the kernel. */
  stop: () => Promise<void>
}

/** Most entries kept in the block log. */
export const BLOCK_LOG_SIZE = 50
/** Closed links the panel keeps listing. */
export const CLOSED_LINKS_KEPT = 3
/** Database slots: the first tab of a profile gets slot 0 (the persistent identity), others the next free one. */
export const SLOTS = 8
/** Redial delays: from the first, doubling up to the last (ms), with jitter. */
export const BACKOFF_MS: readonly [number, number] = [250, 8000]

const short = (b: Uint8Array): string => toHex(b).slice(0, 16)

/**
 * Takes the first free database slot of this browser profile with the Web Locks API, so two
 * tabs never run two kernels on one database (each tab is a peer with its own chain). The
 * lock is held until the tab closes. Without the API: slot 0.
 */
async function claimSlot (base: string): Promise<string | null> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks
  if (locks === undefined) return base
  for (let i = 0; i < SLOTS; i++) {
    const name = i === 0 ? base : `${base}-${i}`
    const got = await new Promise<boolean>(resolve => {
      locks.request(`${name}-lock`, { ifAvailable: true }, lock => {
        resolve(lock !== null)
        return lock === null ? undefined : new Promise<void>(() => {})
      }).catch(() => resolve(false))
    })
    if (got) return name
  }
  return null
}

/** True when `err` (or its causes) says the storage quota is exhausted. */
export function isQuotaError (err: unknown): boolean {
  for (let e = err, i = 0; e != null && i < 8; e = (e as { cause?: unknown }).cause, i++) {
    const name = (e as { name?: unknown }).name
    const message = String((e as { message?: unknown }).message ?? '')
    if (name === 'QuotaExceededError' || /quota/i.test(message)) return true
  }
  return false
}

/** What to tell the user about a failed action. */
export function describeError (err: unknown): string {
  const reason = refusalOf(err)
  if (reason !== undefined) return `Refused: ${reason}`
  if (isQuotaError(err)) return 'Storage is full (quota exceeded): this change was not saved. Free some space or delete old todos.'
  return `Error: ${err instanceof Error ? err.message : String(err)}`
}

/**
 * Boots this tab's peer: its kernel on IndexedDB (in memory, with a readable error, when
 * IndexedDB is unavailable), its block log and store view.
 *
 * @param base - IndexedDB database name of slot 0
 */
export async function startPeer (base = 'picostack-demo'): Promise<Peer> {
  const [$error, setError] = write<string | null>(null)
  let kernel: DemoKernel | undefined
  let storage: Storage
  try {
    if (typeof indexedDB === 'undefined' || indexedDB === null) throw new Error('IndexedDB is not available in this window')
    const name = await claimSlot(base)
    if (name === null) throw new Error(`more than ${SLOTS} tabs are open`)
    kernel = new DemoKernel(name)
    storage = { kind: 'indexeddb', name }
    await kernel.boot()
  } catch (err) {
    void kernel?.halt().catch(() => {})
    const why = err instanceof Error ? err.message : String(err)
    setError(`Storage unavailable (${why}): your todos live in this tab's memory only and are lost when it closes. They still sync with other peers.`)
    kernel = new DemoKernel()
    storage = { kind: 'memory', name: '' }
    await kernel.boot()
  }

  // links
  const links = new Map<number, Link>()
  const [$links, setLinks] = write<Link[]>([])
  let meshLinks: () => Link[] = () => []
  const publish = (): void => {
    // closed links stay listed (with their error) until newer ones push them out
    const closed = [...links.values()].filter(l => l.state === 'closed')
    for (const l of closed.slice(0, Math.max(0, closed.length - CLOSED_LINKS_KEPT))) links.delete(l.id)
    setLinks([...links.values(), ...meshLinks()])
  }
  let nextLink = 1
  const addLink = (link: Omit<Link, 'id'>): ((patch: Partial<Link> | null) => void) => {
    const id = nextLink++
    links.set(id, { ...link, id })
    publish()
    return patch => {
      const cur = links.get(id)
      if (cur === undefined) return
      if (patch === null) links.delete(id)
      else links.set(id, { ...cur, ...patch })
      publish()
    }
  }

  // block log and store view
  const [$blocks, setBlocks] = write<BlockEntry[]>([])
  let log: BlockEntry[] = []
  const push = (e: BlockEntry): void => {
    log = [e, ...log].slice(0, BLOCK_LOG_SIZE)
    setBlocks(log)
  }
  const [$store, setStore] = write<StoreView>({ chains: [], mempool: { blocks: 0, bytes: 0 }, collections: {}, traffic: kernel.traffic })
  let chains: ChainStatus[] = []
  let refreshing = false
  let again = false
  const refresh = (): void => {
    if (refreshing) { again = true; return }
    refreshing = true
    kernel.chains().then(c => { chains = c }, () => {}).finally(() => {
      refreshing = false
      setStore({
        chains: chains.map(c => ({ owner: short(c.owner), chainId: short(c.chainId), height: c.height })),
        mempool: { blocks: kernel.store.mempool.size, bytes: kernel.store.mempool.bytes },
        collections: kernel.store.state,
        traffic: kernel.traffic
      })
      if (again) { again = false; refresh() }
    })
  }
  const offTap = kernel.store.tap((e: StoreEvent) => {
    if (e.event === 'merged') push({ at: Date.now(), kind: 'accepted', id: short(e.block.sig), author: short(e.block.key), root: e.root })
    else if (e.event === 'rejected') push({ at: Date.now(), kind: 'rejected', id: short(e.block.sig), author: short(e.block.key), code: e.code, reason: e.reason })
    if (e.event !== 'change' && e.event !== 'patch-merged') refresh()
  })
  refresh()
  const poll = setInterval(refresh, 2000) // traffic and mempool expiry change without events

  const stopDial = dialNode(kernel, addLink)
  // direct links: other tabs of this profile, other pages over WebRTC (listed with live counters)
  const meshes = joinMeshes(base, () => kernel.spawnWire(), `${nodeUrl()}signal`, meshOptions(location.search))
  const ids = new Map<string, number>()
  meshLinks = () => meshes.peers().map(p => {
    let id = ids.get(p.id)
    if (id === undefined) ids.set(p.id, id = nextLink++)
    return { id, transport: p.transport, to: p.id, state: 'open', since: p.since, bytesIn: p.bytesIn, bytesOut: p.bytesOut }
  })
  meshes.onChange((p, closed) => {
    if (closed !== undefined) ids.delete(p.id)
    if (closed !== undefined) addLink({ transport: p.transport, to: p.id, state: 'closed', since: Date.now(), bytesIn: p.bytesIn, bytesOut: p.bytesOut, ...(closed === null ? {} : { error: closed }) })
    publish()
  })
  const pollLinks = setInterval(publish, 1000) // the counters move without events
  const peer: Peer = {
    kernel,
    storage,
    $links,
    $blocks,
    $store,
    $error,
    setError,
    addLink,
    async stop () {
      stopDial()
      meshes.close()
      clearInterval(pollLinks)
      clearInterval(poll)
      offTap()
      await kernel.halt()
    }
  }
  return peer
}

/** The node's WebSocket: the page's own origin (`picostack node` serves both). */
export function nodeUrl (): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`
}

/**
 * Keeps a WebSocket to the node: dials, and redials with exponential backoff and jitter when
 * it drops or cannot be reached (the page works offline meanwhile). Counts bytes per link.
 *
 * @returns a function that stops dialling and closes the socket
 */
function dialNode (kernel: DemoKernel, addLink: Peer['addLink']): () => void {
  let stopped = false
  let attempt = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  let current: WebSocket | undefined
  const url = nodeUrl()
  const dial = (): void => {
    if (stopped) return
    const update = addLink({ transport: 'websocket', to: url, state: 'connecting', since: Date.now(), bytesIn: 0, bytesOut: 0 })
    let bytesIn = 0
    let bytesOut = 0
    const ws = new WebSocket(url)
    current = ws
    ws.binaryType = 'arraybuffer'
    const send = ws.send.bind(ws)
    ws.send = (data: string | ArrayBufferLike | Blob | ArrayBufferView) => {
      bytesOut += typeof data === 'string' ? data.length : data instanceof Blob ? data.size : data.byteLength
      update({ bytesOut })
      send(data)
    }
    ws.addEventListener('message', (e: MessageEvent) => {
      bytesIn += e.data instanceof ArrayBuffer ? e.data.byteLength : 0
      update({ bytesIn })
    })
    ws.addEventListener('open', () => { update({ state: 'open', since: Date.now() }) })
    const plug = kernel.spawnWire()
    void plug.opened.then(() => { attempt = 0 }, () => {})
    wsWire(plug, ws as unknown as WebSocketLike)
    void plug.closed.then(err => {
      current = undefined
      update({ state: 'closed', since: Date.now(), ...(err === null ? {} : { error: (err as { code?: string }).code ?? err.message }) })
      if (stopped) return
      const [first, max] = BACKOFF_MS
      const delay = Math.min(max, first * 2 ** attempt++) * (0.5 + Math.random() / 2)
      timer = setTimeout(dial, delay)
    })
  }
  dial()
  return () => {
    stopped = true
    if (timer !== undefined) clearTimeout(timer)
    current?.close()
  }
}

let current: Peer | undefined

/** Keeps the tab's peer for the components ({@link thisPeer}) and the tests (`globalThis.__demo`). */
export function keep (peer: Peer): Peer {
  current = peer
  ;(globalThis as { __demo?: Peer }).__demo = peer
  return peer
}

/** The tab's peer, once {@link keep} was called. */
export function thisPeer (): Peer {
  if (current === undefined) throw new Error('the peer is not started')
  return current
}
