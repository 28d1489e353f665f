// Runs a scenario script in a loopback-only network namespace when the tests run as root with
// `unshare` (WebRTC tests: ICE can then only find loopback), else in this process.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'

/** True when running as root with `unshare` and not inside the namespace already. */
export function canIsolate (): boolean {
  if (process.getuid?.() !== 0 || process.env.PICOSTACK_NETNS === '1') return false
  return spawnSync('unshare', ['--net', 'true'], { stdio: 'ignore' }).status === 0
}

/**
 * The outcome of a scenario: `script` (a path from the package root, printing one line
 * `{"outcome": …}`) run in a fresh loopback-only network namespace when {@link canIsolate},
 * else `inProcess()`. Inside the namespace `PICOSTACK_NETNS=1`.
 */
export async function isolated<T> (script: string, inProcess: () => Promise<T>, timeout = 150_000): Promise<T> {
  if (!canIsolate()) return await inProcess()
  const run = spawnSync('unshare', ['--net', 'sh', '-c', `ip link set lo up && exec "${process.execPath}" --conditions=source --import tsx ${script}`], {
    env: { ...process.env, PICOSTACK_NETNS: '1' },
    encoding: 'utf8',
    timeout
  })
  const line = run.stdout.split('\n').find(l => l.startsWith('{"outcome"'))
  assert.ok(line !== undefined, `the scenario printed no outcome (status ${String(run.status)}):\n${run.stderr}\n${run.stdout}`)
  return (JSON.parse(line) as { outcome: T }).outcome
}
