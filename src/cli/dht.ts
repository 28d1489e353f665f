// `picostack dht`: a small hyperswarm DHT on loopback, so that nodes can meet through a swarm
// without the public DHT (`picostack node --bootstrap <the printed address>`).
import { parseArgs } from 'node:util'
import type HyperDHT from 'hyperdht'
import { EXIT, EXIT_CODES_HELP } from './errors.js'
import { untilSignal } from './io.js'
import type { Command, Io } from './io.js'

/** `picostack dht --help`. */
export const DHT_HELP: string = `Usage: picostack dht [options]

Starts a hyperswarm DHT of a few nodes on 127.0.0.1 for offline tries and prints the
address of its bootstrap node; give it to every node with --bootstrap:

  picostack dht --port 49737
  picostack node --data /tmp/alice --bootstrap 127.0.0.1:49737
  picostack node --data /tmp/bob --bootstrap 127.0.0.1:49737

Options:
  --port N     UDP port of the bootstrap node (default 0 = any free port)
  --nodes N    DHT nodes to run, the bootstrap node included (default 3, at most 32)
  --help       this text

Output, one event per line: dht bootstrap=127.0.0.1:PORT nodes=N, halting, halt.
Ctrl-C (SIGINT) or SIGTERM halts it.
${EXIT_CODES_HELP}`


/** Where `runDht` writes (lines without the newline) and what stops it. */
export interface DhtIO {
  out: (line: string) => void
  err: (line: string) => void
  /** Aborting it halts the DHT. */
  signal?: AbortSignal
}

/**
 * Runs `picostack dht` until `io.signal` aborts.
 *
 * @param argv - arguments after `dht`
 * @param io - output sinks and the stop signal
 * @returns the exit code
 */
export async function runDht (argv: string[], io: DhtIO): Promise<number> {
  let port: number
  let size: number
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: { port: { type: 'string' }, nodes: { type: 'string' }, help: { type: 'boolean', short: 'h' } }
    })
    if (values.help === true) { io.out(DHT_HELP); return EXIT.ok }
    port = Number(values.port ?? 0)
    size = Number(values.nodes ?? 3)
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`--port expected 0..65535, got ${values.port}`)
    if (!Number.isInteger(size) || size < 1 || size > 32) throw new RangeError(`--nodes expected 1..32, got ${values.nodes}`)
  } catch (err) {
    io.err(`error ${(err as Error).message}`)
    io.err('try: picostack dht --help')
    return EXIT.usage
  }
  const { default: DHT } = await import('hyperdht')
  const nodes: HyperDHT[] = []
  const destroy = async (): Promise<void> => { await Promise.all(nodes.map(n => n.destroy().catch(() => {}))) }
  const stopped = new Promise<void>(resolve => {
    if (io.signal?.aborted === true) resolve()
    io.signal?.addEventListener('abort', () => { io.out('halting'); resolve() }, { once: true })
  })
  try {
    // The first node is the bootstrap node: not ephemeral, not firewalled, on a known port.
    const first = new DHT({ ephemeral: false, firewalled: false, bootstrap: [], port, host: '127.0.0.1' })
    nodes.push(first)
    await Promise.race([first.fullyBootstrapped(), stopped])
    const bootstrap = [{ host: '127.0.0.1', port: first.address().port }]
    while (nodes.length < size && io.signal?.aborted !== true) {
      const node = new DHT({ ephemeral: false, firewalled: false, bootstrap, host: '127.0.0.1' })
      nodes.push(node)
      await Promise.race([node.fullyBootstrapped(), stopped])
    }
    if (io.signal?.aborted !== true) io.out(`dht bootstrap=127.0.0.1:${bootstrap[0]!.port} nodes=${nodes.length}`)
  } catch (err) {
    io.err(`error ${JSON.stringify(`cannot start the DHT: ${(err as Error).message}`)}`)
    await destroy()
    return EXIT.failure
  }
  await stopped
  await destroy()
  io.out('halt')
  return EXIT.ok
}

/** The `picostack dht` command for main.ts; SIGINT/SIGTERM (or its output's reader going away) halt it. */
export const dhtCommand: Command = {
  summary: 'run a small hyperswarm DHT on 127.0.0.1 for offline tries (--bootstrap for nodes)',
  usage: DHT_HELP + '\n',
  async run (argv: string[], io: Io): Promise<number> {
    return await untilSignal(signal => runDht(argv, {
      out: line => { io.stdout(line + '\n') },
      err: line => { io.stderr(line + '\n') },
      signal
    }), io.stdoutClosed)
  }
}
