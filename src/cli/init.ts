// `picostack init DIR`: scaffolds a new app from the templates shipped in this package
// (templates/common plus templates/svelte or templates/react): a blockend with its rules and
// tests, a simulator scenario, a page, a dev node, README and configs. No prompts.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { builtinModules } from 'node:module'
import { fileURLToPath } from 'node:url'
import { EXIT, EXIT_CODES_HELP, cliErr } from './errors.js'
import { makeDirsOrFail } from './dirs.js'
import { parseFlags } from './io.js'
import type { Command, Io } from './io.js'

/** `picostack init --help`. */
export const INIT_HELP: string = `Usage: picostack init DIR [options]

Creates a new app in DIR: a blockend (a SimpleKernel subclass with one collection and its
rules), unit tests of the rules, a simulator scenario, a page (Svelte 5, or React with
--react) whose kernel runs in the browser, a dev node with live reload, README and configs.
Then runs npm install there (unless --no-install) and prints the next steps.

Options:
  --react        a React page instead of Svelte 5
  --local        depend on this copy of picostack in place (file:<its folder>), for tests and
                 for hacking on picostack; default: a tarball of it in DIR/vendor/
  --force        write into a non-empty DIR (template files are overwritten, others kept)
  --no-install   do not run npm install
  --name NAME    the package name (default: DIR's name); npm rules: lowercase, no spaces
  --help         this text

${EXIT_CODES_HELP}`

/** Parsed `picostack init` arguments. */
export interface InitArgs {
  /** The target folder, as given. */
  dir: string
  /** The package name. */
  name: string
  /** `'svelte'` (default) or `'react'`. */
  flavour: 'svelte' | 'react'
  /** Depend on the running kit's folder instead of a packed copy. */
  local: boolean
  /** Write into a non-empty folder. */
  force: boolean
  /** Run npm install. */
  install: boolean
  /** `--help`. */
  help: boolean
}

/**
 * Why `name` is not a valid npm package name, or undefined when it is (the rules of
 * validate-npm-package-name for new packages, plus: not `picostack`, the dependency).
 */
export function invalidName (name: string): string | undefined {
  if (name.length === 0) return 'it is empty'
  if (name.length > 214) return 'it is longer than 214 characters'
  if (name !== name.trim()) return 'it has leading or trailing spaces'
  if (name.toLowerCase() !== name) return 'it has capital letters'
  if (/^[._]/.test(name)) return 'it starts with a dot or an underscore'
  const m = /^(?:@([^/]+)\/)?([^/]+)$/.exec(name)
  if (m === null) return 'only a scope may contain a slash (@scope/name)'
  for (const part of [m[1], m[2]]) {
    if (part !== undefined && (!/^[a-z0-9-._~]+$/.test(part) || part.startsWith('.') || part.startsWith('_'))) return 'it may contain only a-z, 0-9, - . _ ~ (and one @scope/)'
  }
  const bare = m[2] as string
  if (m[1] === undefined && (builtinModules.includes(bare) || ['node_modules', 'favicon.ico'].includes(bare))) return `${bare} is a reserved name`
  if (name === 'picostack') return 'the app depends on picostack: pick another name'
  return undefined
}

/**
 * Parses `picostack init` arguments.
 *
 * @param argv - the arguments after `init`
 * @returns the options
 * @throws CliError `UnknownFlag`, `Usage` or `InvalidName`
 */
export function parseInitArgs (argv: string[]): InitArgs {
  const parsed = parseFlags(argv, {
    react: { type: 'boolean' },
    local: { type: 'boolean' },
    force: { type: 'boolean' },
    'no-install': { type: 'boolean' },
    name: { type: 'string' },
    help: { type: 'boolean', short: 'h' }
  })
  const v = parsed.values
  const help = v.help === true
  const [dir = ''] = parsed.positionals
  if (!help && parsed.positionals.length !== 1) throw cliErr('Usage', parsed.positionals.length === 0 ? 'missing DIR (where to create the app)' : `expected one DIR, got ${parsed.positionals.length}`)
  const name = v.name ?? basename(resolve(dir))
  const why = help ? undefined : invalidName(name)
  if (why !== undefined) {
    throw cliErr('InvalidName', `"${name}" is not a valid npm package name: ${why}` + (v.name === undefined ? ' (give one with --name)' : ''))
  }
  return { dir, name, flavour: v.react === true ? 'react' : 'svelte', local: v.local === true, force: v.force === true, install: v['no-install'] !== true, help }
}

/** The root folder of this copy of picostack (holds package.json, dist/ and templates/). */
export function kitRoot (): string {
  // dist/cli/init.js and src/cli/init.ts are both two levels below the root
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
}

/** React is not a dependency of the kit: pinned here (exact versions of the npm registry). */
const REACT = { react: '19.3.1', 'react-dom': '19.3.1', '@types/react': '19.3.3', '@types/react-dom': '19.3.0' } as const

interface KitPackage {
  version: string
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  allowScripts?: Record<string, boolean>
}

/** The package.json of the new app. */
function appPackage (args: InitArgs, kit: KitPackage, picostack: string): Record<string, unknown> {
  const all = { ...kit.devDependencies, ...kit.dependencies }
  const pin = (names: readonly string[]): Record<string, string> => Object.fromEntries(names.map(n => {
    const v = n in REACT ? REACT[n as keyof typeof REACT] : all[n]
    if (v === undefined) throw new Error(`picostack's package.json does not pin ${n}`)
    return [n, v]
  }))
  const ui = args.flavour === 'svelte' ? ['svelte'] : ['react', 'react-dom']
  const uiDev = args.flavour === 'svelte' ? ['esbuild-svelte'] : ['@types/react', '@types/react-dom']
  return {
    name: args.name,
    version: '0.1.0',
    private: true,
    type: 'module',
    engines: { node: '>=20' },
    scripts: {
      dev: 'node --import tsx server/dev.ts',
      build: 'node --import tsx scripts/build.ts',
      start: 'node --import tsx server/start.ts',
      test: 'npm run typecheck && npm run lint && node --import tsx --test test/*.test.ts',
      typecheck: 'tsc',
      lint: 'eslint .',
      sim: 'picostack sim sim/tasks.ts --report sim-report.html'
    },
    dependencies: { picostack, ...pin(['ws', ...ui]) },
    devDependencies: pin(['esbuild', ...uiDev, 'tsx', 'typescript', 'eslint', '@eslint/js', 'typescript-eslint', '@types/node', '@types/ws']),
    // npm >= 11 runs a dependency's install scripts only when allowed here: the kit's choices;
    // picostack itself is shipped built (its `prepare` would need its dev tools)
    allowScripts: { ...kit.allowScripts, picostack: false }
  }
}

/** Copies `from` into `to` recursively, replacing `__APP_NAME__`; `gitignore` becomes `.gitignore`. */
function copyTemplate (from: string, to: string, name: string, written: Set<string>, base = to): void {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, entry.name)
    const dst = join(to, entry.name === 'gitignore' ? '.gitignore' : entry.name)
    if (entry.isDirectory()) {
      makeDirsOrFail(dst)
      copyTemplate(src, dst, name, written, base)
    } else {
      writeFileSync(dst, readFileSync(src, 'utf8').replaceAll('__APP_NAME__', name))
      written.add(relative(base, dst))
    }
  }
}

/** Runs a command, forwarding its output to `io.stderr`; resolves with its exit code and stdout. */
function run (cmd: string, args: string[], cwd: string, io: Io, quiet = false): Promise<{ code: number, out: string }> {
  return new Promise(resolvePromise => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' })
    let out = ''
    child.stdout.on('data', (d: Uint8Array) => { out += String(d); if (!quiet) io.stderr(String(d)) })
    child.stderr.on('data', (d: Uint8Array) => { io.stderr(String(d)) })
    child.on('error', err => { io.stderr(`${cmd}: ${err.message}\n`); resolvePromise({ code: 127, out }) })
    child.on('close', code => resolvePromise({ code: code ?? 1, out }))
  })
}

const README_PARTS = {
  svelte: { flavour: 'Svelte 5, with the nuro Svelte adapter', view: '`App.svelte`' },
  react: { flavour: 'React, with the nuro `createUseNuro` hook', view: '`App.tsx`, `use-nuro.ts`' }
} as const

function dependencyText (local: boolean, spec: string): string {
  if (local) {
    return `This project depends on a local copy of picostack (\`"picostack": "${spec}"\`, made by
\`picostack init --local\`): npm links that folder, so changes to it (after its \`npm run build\`)
show here at once. Nothing of it is copied into this project: it only works on this machine.`
  }
  return `The \`picostack\` package on the npm registry is another project (the original JavaScript
picostack), so this project does not take it from the registry: \`picostack init\` packed the
copy it ran from into \`${spec.slice('file:'.length)}\` and the dependency points there
(\`"picostack": "${spec}"\`). Commit that file with the project. To upgrade, run
\`picostack init --force\` of a newer copy in a scratch folder and copy its \`vendor/\` tarball
over (then update the file name in package.json and run \`npm install\`).`
}

/**
 * Runs `picostack init`.
 *
 * @param argv - the arguments after `init`
 * @param io - output streams
 * @returns the exit code
 * @throws CliError usage mistakes (`UnknownFlag`, `Usage`, `InvalidName`, `DirectoryNotEmpty`,
 *   exit 2) and runtime failures (`KitNotBuilt`, `PackFailed`, `InstallFailed`, exit 1)
 */
export async function runInit (argv: string[], io: Io): Promise<number> {
  const args = parseInitArgs(argv)
  if (args.help) { io.stdout(INIT_HELP + '\n'); return EXIT.ok }
  const dir = resolve(args.dir)
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw cliErr('DirectoryNotEmpty', `${args.dir} exists and is not a folder`)
    if (readdirSync(dir).length > 0 && !args.force) throw cliErr('DirectoryNotEmpty', `${args.dir} is not empty (--force writes into it anyway)`)
  }
  const kit = kitRoot()
  if (!existsSync(join(kit, 'dist', 'index.js'))) {
    throw cliErr('KitNotBuilt', `picostack in ${kit} has no dist/: run npm run build there first`)
  }
  const templates = join(kit, 'templates')
  const kitPkg = JSON.parse(readFileSync(join(kit, 'package.json'), 'utf8')) as KitPackage

  makeDirsOrFail(dir)
  const written = new Set<string>()
  copyTemplate(join(templates, 'common'), dir, args.name, written)
  copyTemplate(join(templates, args.flavour), dir, args.name, written)
  if (args.flavour === 'react') {
    const tsconfig = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> }
    tsconfig.compilerOptions.jsx = 'react-jsx'
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2) + '\n')
  }

  let spec = `file:${kit}`
  if (!args.local) {
    // the registry's `picostack` is another project: ship this copy as a tarball
    makeDirsOrFail(join(dir, 'vendor'))
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', join(dir, 'vendor')], kit, io, true)
    let file: string | undefined
    try { file = (JSON.parse(packed.out) as Array<{ filename: string }>)[0]?.filename } catch { file = undefined }
    if (packed.code !== 0 || file === undefined) throw cliErr('PackFailed', `npm pack of ${kit} failed (exit code ${packed.code})`)
    spec = `file:vendor/${basename(file)}`
  }
  const pkg = appPackage(args, kitPkg, spec)
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n')
  const parts = README_PARTS[args.flavour]
  const readme = join(dir, 'README.md')
  writeFileSync(readme, readFileSync(readme, 'utf8')
    .replace('__FLAVOUR__', parts.flavour).replace('__VIEW__', parts.view).replace('__DEPENDENCY__', dependencyText(args.local, spec)))

  const rel = relative(process.cwd(), dir)
  const where = rel === '' ? '.' : rel.startsWith('..') ? dir : rel
  io.stdout(`created ${args.name} (${args.flavour === 'svelte' ? 'Svelte 5' : 'React'}) in ${where}: ${written.size + 1} files, picostack from ${args.local ? kit : spec.slice(5)}\n`)
  if (args.install) {
    io.stdout('running npm install…\n')
    const { code } = await run('npm', ['install', '--no-audit', '--no-fund'], dir, io)
    if (code !== 0) throw cliErr('InstallFailed', `npm install in ${where} failed (exit code ${code}); the files are in place: fix the cause and run npm install there`)
  }
  const cd = where === '.' ? [] : [`  cd ${where.includes(' ') ? JSON.stringify(where) : where}`]
  io.stdout([
    '',
    'next:',
    ...cd,
    ...(args.install ? [] : ['  npm install']),
    '  npm run dev      # page + local node with live reload: open the address it prints',
    '  npm test         # typecheck, lint, the rules\' tests, the swarm simulation',
    ''
  ].join('\n'))
  return EXIT.ok
}

/** The `picostack init` subcommand. */
export const initCommand: Command = {
  summary: 'create a new app: blockend, tests, simulation, Svelte or React page, dev node',
  usage: INIT_HELP + '\n',
  run: runInit
}
