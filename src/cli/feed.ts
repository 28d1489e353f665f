// `picostack feed ...`: what picofeed 9's `pf` command does, plus `key`, `inspect` and
// `verify`.
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { Feed, b2s, generatePrivateKey, getPublicKey, toHex } from '../feed/index.js'
import { cliErr, EXIT_CODES_HELP } from './errors.js'
import { makeDirsOrFail } from './dirs.js'
import type { Command, Io } from './io.js'

const USAGE = `usage: picostack feed <subcommand> [args]

  gen [-f] FILE|-              new secret: 64 hex characters + newline, written to FILE
                               (mode 0600, folders created; -f overwrites) or to stdout (-)
  key SECRET | key -e NAME     the public key (64 hex characters) of a secret given as in
                               append: a key file, 64 hex characters or an environment variable
  append FEED SECRET < body    append all of stdin as one block, signed with SECRET:
  append FEED -e NAME < body   64 hex characters, a file holding them, or (-e) the
                               environment variable NAME; FEED is created when missing and
                               replaced atomically; prints the new block count
  get [-i|-I] FEED [START] [END]
                               blocks START..END (inclusive; negative counts from the end;
                               default 0..-1): raw bodies back to back, or with -i a header
                               and the body text per block, -I headers only; an index
                               outside the feed is an error (OutOfRange)
  inspect FEED                 draw the feed (keys, blocks, parents, bodies)
  verify FEED                  parse and verify every signature; prints a summary

FEED may be - for stdin (get, inspect, verify).
${EXIT_CODES_HELP}
`

interface Parsed { flags: Map<string, string | true>, args: string[] }

/** Splits flags from arguments; `-` and negative numbers are arguments. */
function parse (argv: string[], known: Record<string, 'bool' | 'value'>): Parsed {
  const flags = new Map<string, string | true>()
  const args: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '-' || /^-\d+$/.test(a) || !a.startsWith('-')) { args.push(a); continue }
    const kind = known[a]
    if (kind === undefined) throw cliErr('UnknownFlag', a)
    if (kind === 'value') {
      const v = argv[++i]
      if (v === undefined) throw cliErr('Usage', `${a} needs a value`)
      flags.set(a, v)
    } else {
      flags.set(a, true)
    }
  }
  return { flags, args }
}

function arity (p: Parsed, min: number, max: number, what: string): void {
  if (p.args.length < min || p.args.length > max) throw cliErr('Usage', `${what}: expected ${min === max ? min : `${min} to ${max}`} arguments, got ${p.args.length}`)
}

const HEX64 = /^[0-9a-fA-F]{64}$/

/**
 * A secret given literally, in a file (first non-blank line) or in an environment variable
 * (`-e NAME`); `s` is the argument naming it when there is no `-e`.
 */
function readSecret (p: Parsed, s: string, io: Io): string {
  const env = p.flags.get('-e') ?? p.flags.get('--env')
  if (typeof env === 'string') {
    const v = io.env[env]
    if (v === undefined) throw cliErr('MissingEnvVar', env)
    if (!HEX64.test(v.trim())) throw cliErr('InvalidSecret', `environment variable ${env} does not hold 64 hex characters`)
    return v.trim().toLowerCase()
  }
  if (HEX64.test(s)) return s.toLowerCase()
  if (!existsSync(s)) throw cliErr('InvalidSecret', `${s} is neither 64 hex characters nor a file`)
  const line = readFileSync(s, 'utf8').split(/\r?\n/).map(l => l.trim()).find(l => l !== '')
  if (line === undefined || !HEX64.test(line)) throw cliErr('InvalidSecretFile', s)
  return line.toLowerCase()
}

async function readFeed (file: string, io: Io): Promise<Feed> {
  if (file === '-') return Feed.from(await io.readStdin())
  if (!existsSync(file)) throw cliErr('FileNotFound', file)
  return Feed.from(readFileSync(file))
}

/** A block index given as START or END: negative counts from the end; outside the feed is an error. */
function index (s: string | undefined, fallback: number, length: number, code: 'InvalidStart' | 'InvalidEnd'): number {
  if (s === undefined) return fallback < 0 ? length + fallback : fallback
  if (!/^-?\d+$/.test(s)) throw cliErr(code, s)
  const n = Number(s)
  const i = n < 0 ? length + n : n
  if (i < 0 || i >= length) {
    const range = length === 0 ? 'the feed is empty' : `the feed has ${length} block${length === 1 ? '' : 's'}: 0..${length - 1} or -${length}..-1`
    throw cliErr('OutOfRange', `${code === 'InvalidStart' ? 'START' : 'END'} ${s}: ${range}`)
  }
  return i
}

const subcommands: Record<string, (argv: string[], io: Io) => Promise<number>> = {
  async gen (argv, io) {
    const p = parse(argv, { '-f': 'bool', '--force': 'bool' })
    arity(p, 1, 1, 'gen')
    const file = p.args[0] as string
    const text = generatePrivateKey() + '\n'
    if (file === '-') { io.stdout(text); return 0 }
    if (existsSync(file) && !p.flags.has('-f') && !p.flags.has('--force')) throw cliErr('RefusingToOverwrite', `${file} (use -f)`)
    makeDirsOrFail(dirname(resolve(file)))
    writeFileSync(file, text, { mode: 0o600 })
    chmodSync(file, 0o600)
    io.stdout(file + '\n')
    return 0
  },

  async append (argv, io) {
    const p = parse(argv, { '-e': 'value', '--env': 'value' })
    const env = p.flags.has('-e') || p.flags.has('--env')
    arity(p, env ? 1 : 2, env ? 1 : 2, 'append')
    const file = p.args[0] as string
    const secret = readSecret(p, p.args[1] as string, io)
    const feed = existsSync(file) && statSync(file).size > 0 ? Feed.from(readFileSync(file)) : new Feed()
    const body = await io.readStdin()
    if (body.length === 0) throw cliErr('InvalidBody', 'append: the body (stdin) is empty')
    if (body[0] === 0) throw cliErr('InvalidBody', 'append: the body must not start with a zero byte')
    const n = feed.append(body, secret)
    makeDirsOrFail(dirname(resolve(file)))
    writeFileSync(file + '.tmp', feed.buffer)
    renameSync(file + '.tmp', file)
    io.stdout(`${n}\n`)
    return 0
  },

  async key (argv, io) {
    const p = parse(argv, { '-e': 'value', '--env': 'value' })
    const env = p.flags.has('-e') || p.flags.has('--env')
    arity(p, env ? 0 : 1, env ? 0 : 1, 'key')
    io.stdout(getPublicKey(readSecret(p, p.args[0] as string, io)) + '\n')
    return 0
  },

  async get (argv, io) {
    const p = parse(argv, { '-i': 'bool', '-I': 'bool' })
    arity(p, 1, 3, 'get')
    const feed = await readFeed(p.args[0] as string, io)
    const start = index(p.args[1], 0, feed.length, 'InvalidStart')
    const end = index(p.args[2], -1, feed.length, 'InvalidEnd')
    if (start > end) return 0
    const headers = p.flags.has('-i') || p.flags.has('-I')
    for (let i = start; i <= end; i++) {
      const b = feed.block(i)!
      if (!headers) { io.stdout(b.body); continue }
      const lines = [`BLOCK ${i}`, `GENESIS ${b.genesis ? 1 : 0}`, `SIG ${toHex(b.sig)}`, `AUTHOR ${toHex(b.key)}`,
        `PSIG ${b.psig === undefined ? '-' : toHex(b.psig)}`, `SIZE ${b.size}`]
      if (p.flags.has('-i')) lines.push('BODY_TEXT', b2s(b.body))
      io.stdout(lines.join('\n') + '\n\n')
    }
    return 0
  },

  async inspect (argv, io) {
    const p = parse(argv, {})
    arity(p, 1, 1, 'inspect')
    io.stdout((await readFeed(p.args[0] as string, io)).inspect() + '\n')
    return 0
  },

  async verify (argv, io) {
    const p = parse(argv, {})
    arity(p, 1, 1, 'verify')
    const feed = await readFeed(p.args[0] as string, io)
    io.stdout(`OK ${feed.length} blocks, ${feed.keys.length} authors, ${feed.tail} bytes${feed.partial && feed.length > 0 ? ' (partial: starts after genesis)' : ''}\n`)
    return 0
  }
}

/** `picostack feed`: keys, appends and reads of feed files. */
export const feedCommand: Command = {
  summary: 'signed feeds: gen, key, append, get, inspect, verify',
  usage: USAGE,
  async run (argv, io) {
    const [sub, ...rest] = argv
    if (sub === undefined || sub === '-h' || sub === '--help' || rest.includes('-h') || rest.includes('--help')) {
      io.stdout(USAGE)
      return 0
    }
    const fn = subcommands[sub]
    if (fn === undefined) throw cliErr('UnknownCommand', `feed ${sub}`)
    return await fn(rest, io)
  }
}
