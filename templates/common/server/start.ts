// `npm start`: the node serving the built page (`npm run build` first) from dist/.
//   npm start -- --port 8080 --data .data/node
import { parseArgs } from 'node:util'
import { existsSync } from 'node:fs'
import { haltOnSignal, nodeArgs, startOnFreePort } from './node'

const { values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' }, data: { type: 'string' }, root: { type: 'string' } } })
const args = nodeArgs(values, { data: '.data/node' })
const root = values.root ?? 'dist'
if (!existsSync(`${root}/index.html`)) {
  console.error(`error: ${root}/index.html not found: run npm run build first`)
  process.exit(1)
}
const node = await startOnFreePort({ root, ...args })
console.log(`node pk=${node.kernel.pk} data=${args.data}`)
console.log(`open ${node.url}`)
haltOnSignal(node)
