#!/usr/bin/env node
// The `picostack` command. Subcommands live in a table: a later component adds its own
// `Command` (e.g. `node`) with one line here.
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { isPicoError } from '../errors.js'
import { CliError, EXIT, EXIT_CODES_HELP } from './errors.js'
import { dhtCommand } from './dht.js'
import { feedCommand } from './feed.js'
import { initCommand } from './init.js'
import { nodeCommand } from './node.js'
import { simCommand } from './sim.js'
import { processIo } from './io.js'
import type { Command, Io } from './io.js'

/** Every subcommand, by name. */
export const commands: Record<string, Command> = {
  feed: feedCommand,
  node: nodeCommand,
  dht: dhtCommand,
  sim: simCommand,
  init: initCommand
}

function usage (): string {
  const names = Object.keys(commands)
  const width = Math.max(...names.map(n => n.length))
  return [
    'usage: picostack <command> [args]',
    '',
    'commands:',
    ...names.map(n => `  ${n.padEnd(width)}  ${(commands[n] as Command).summary}`),
    '',
    'picostack <command> --help shows the usage of a command.',
    EXIT_CODES_HELP,
    ''
  ].join('\n')
}

/** Formats an error for stderr: `Code: message` for typed errors. */
export function describe (e: unknown): string {
  if (isPicoError(e)) return e.message === e.code ? e.code : `${e.code}: ${e.message}`
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code
    // Node's own errors already begin with their code (`ENOENT: no such file or directory, …`)
    return typeof code === 'string' && !e.message.startsWith(`${code}:`) ? `${code}: ${e.message}` : e.message
  }
  return String(e)
}

/**
 * Runs the command line `argv` (without `node` and the script).
 *
 * @returns the exit code: 0 on success, 1 on a runtime failure (one `error …` line on
 *   stderr), 2 on a usage mistake (the error line, then the usage)
 */
export async function main (argv: string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    io.stdout(usage())
    return 0
  }
  const cmd = commands[name]
  if (cmd === undefined) {
    io.stderr(`error UnknownCommand: ${name}\n\n${usage()}`)
    return EXIT.usage
  }
  try {
    return await cmd.run(rest, io)
  } catch (e) {
    io.stderr(`error ${describe(e)}\n`)
    if (e instanceof CliError && e.usage) {
      io.stderr('\n' + cmd.usage)
      return EXIT.usage
    }
    return EXIT.failure
  }
}

function isEntry (): boolean {
  const script = process.argv[1]
  if (script === undefined) return false
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (isEntry()) process.exitCode = await main(process.argv.slice(2))
