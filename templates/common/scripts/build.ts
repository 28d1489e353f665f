// `npm run build`: the deployable page in dist/ (serve it with `npm start`, or from any static
// host: the page then syncs through the node given as ?node=ws://host:port/ws).
import { rm } from 'node:fs/promises'
import { build } from 'esbuild'
import { bundleOptions, copyPublic } from './bundle'

await rm('dist', { recursive: true, force: true })
await build(bundleOptions('dist', false))
await copyPublic('dist')
console.log('built dist/')
