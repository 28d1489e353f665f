// How the page is bundled (esbuild), shared by `npm run build` and `npm run dev`.
import { cp, mkdir } from 'node:fs/promises'
import type { BuildOptions } from 'esbuild'
import { flavour } from './flavour'

/** esbuild options writing the page's bundle (app.js, app.css) into `outdir`. */
export function bundleOptions (outdir: string, dev: boolean): BuildOptions {
  return {
    entryPoints: { app: flavour.entry },
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: !dev,
    sourcemap: dev ? 'inline' : 'linked',
    define: { 'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production') },
    // dev builds reload the page when the node says a new build is ready
    ...(dev ? { banner: { js: "new EventSource('/__reload').addEventListener('message', () => location.reload());" } } : {}),
    logLevel: 'warning',
    ...flavour.options
  }
}

/** Copies public/ (index.html ...) next to the bundle. */
export async function copyPublic (outdir: string): Promise<void> {
  await mkdir(outdir, { recursive: true })
  await cp('public', outdir, { recursive: true })
}
