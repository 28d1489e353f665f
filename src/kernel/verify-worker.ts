// Worker side of the verification pool (verify-pool.ts): checks packed signatures with the
// feed's Ed25519 backend, the very one the main thread would use. Loaded only in a worker.
import { parentPort } from 'node:worker_threads'
import { ed25519 } from '../feed/index.js'
import { unpackVerdicts } from './verify-pack.js'

parentPort?.on('message', (job: { id: number, buf: Uint8Array }) => {
  const ok = unpackVerdicts(job.buf, (sig, msg, pk) => {
    try {
      return ed25519().verify(sig, msg, pk)
    } catch {
      return false
    }
  })
  parentPort?.postMessage({ id: job.id, ok }, [ok.buffer as ArrayBuffer])
})
