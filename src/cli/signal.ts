// Mounts the WebRTC signalling relay on the node's WebSocket http server: an upgrade to
// `/signal` goes to the relay, every other upgrade to the sync WebSocket server as before.
import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import { SignalRelay } from '../net/index.js'
import type { SignalRelayOptions, SignalSocket } from '../net/index.js'

/** The path of the signalling endpoint. */
export const SIGNAL_PATH = '/signal'

/** The relay mounted by {@link mountSignal}. */
export interface MountedSignal {
  /** The relay (its `stats`). */
  readonly relay: SignalRelay
  /** Closes every signalling connection and detaches from the http server. */
  close (): void
}

/**
 * Routes the WebSocket upgrades of `http`: `/signal` (any query) to a new {@link SignalRelay},
 * everything else to `fallback` (a `ws` server made with `noServer: true`, which then emits
 * `'connection'` as if it were attached). A connection gate on `http` stays in front of both.
 *
 * @param http - the http server the WebSocket port listens on
 * @param fallback - the sync WebSocket server (`noServer: true`)
 * @param options - the relay's bounds, or a relay to share (two ports, one set of rooms)
 * @returns the relay and a close function (which closes the relay too)
 */
export function mountSignal (http: Server, fallback: WebSocketServer, options: SignalRelayOptions | SignalRelay = {}): MountedSignal {
  const relay = options instanceof SignalRelay ? options : new SignalRelay(options)
  const wss = new WebSocketServer({ noServer: true, maxPayload: relay.maxMessageSize })
  const onupgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = req.url ?? '/'
    const cut = url.indexOf('?')
    if ((cut < 0 ? url : url.slice(0, cut)) === SIGNAL_PATH) {
      wss.handleUpgrade(req, socket, head, ws => relay.handle(ws as unknown as SignalSocket))
    } else {
      fallback.handleUpgrade(req, socket, head, ws => fallback.emit('connection', ws, req))
    }
  }
  http.on('upgrade', onupgrade)
  return {
    relay,
    close () {
      http.off('upgrade', onupgrade)
      relay.close()
      for (const ws of wss.clients) ws.terminate()
      wss.close()
    }
  }
}
