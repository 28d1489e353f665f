// One turn of the event loop, so one peer's messages never run back to back for long: other
// connections' messages, timers and I/O get their turn in between (PROTOCOL.md, "Fair service").

type Resolve = () => void

let channel: MessageChannel | undefined
const waiting: Resolve[] = []

function viaChannel (resolve: Resolve): void {
  if (channel === undefined) {
    // Browsers: a MessageChannel task runs after pending I/O events without setTimeout's 4 ms clamp.
    channel = new MessageChannel()
    channel.port1.onmessage = () => { waiting.shift()?.() }
  }
  waiting.push(resolve)
  channel.port2.postMessage(null)
}

/**
 * Resolves on a later turn of the event loop (after pending I/O): `setImmediate` in Node,
 * a `MessageChannel` task in browsers. Looked up at each call so fake timers apply. @internal
 */
export function yieldTurn (): Promise<void> {
  return new Promise<void>(resolve => {
    const si = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate
    if (typeof si === 'function') si(resolve)
    else if (typeof MessageChannel === 'function') viaChannel(resolve)
    else setTimeout(resolve, 0)
  })
}
