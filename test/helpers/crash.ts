// Crash tests: runs a child script (TypeScript, through tsx) that prints the id of each block
// it committed, one per line, and SIGKILLs it once it printed `killAfter` of them.
import { spawn } from 'node:child_process'

/**
 * Runs `script` with `args` until it has printed `killAfter` lines, then SIGKILLs it.
 *
 * @returns every line it printed before it died
 */
export function runUntilKilled (script: string, args: string[], killAfter: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    const ids: string[] = []
    let buf = ''
    let err = ''
    let killed = false
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      buf += chunk
      let i
      while ((i = buf.indexOf('\n')) >= 0) {
        ids.push(buf.slice(0, i))
        buf = buf.slice(i + 1)
      }
      if (!killed && ids.length >= killAfter) { killed = true; child.kill('SIGKILL') }
    })
    child.stderr.on('data', (c: Buffer) => { err += c.toString() })
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(ids)
      else reject(new Error(`child exited ${String(code)}: ${err}`))
    })
  })
}
