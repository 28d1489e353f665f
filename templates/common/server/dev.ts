// `npm run dev`: rebuilds the page on every change (esbuild watch) and runs the node with live
// reload: open the printed address, edit src/, the page reloads.
import { parseArgs } from 'node:util'
import { context } from 'esbuild'
import { bundleOptions, copyPublic } from '../scripts/bundle'
import { haltOnSignal, nodeArgs, startOnFreePort } from './node'

const OUT = '.dev'
const { values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' }, data: { type: 'string' } } })
const args = nodeArgs(values, { data: '.data/dev' })
const node = await startOnFreePort({ root: OUT, ...args, liveReload: true })
const options = bundleOptions(OUT, true)
const ctx = await context({
  ...options,
  plugins: [...(options.plugins ?? []), {
    name: 'reload',
    setup (build) {
      build.onEnd(async result => {
        if (result.errors.length > 0) return
        await copyPublic(OUT)
        node.reload()
      })
    }
  }]
})
await ctx.watch() // builds at once, then on every change
console.log(`node pk=${node.kernel.pk} data=${args.data}`)
console.log(`open ${node.url}`)
haltOnSignal(node, () => ctx.dispose())
