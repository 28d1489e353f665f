#!/usr/bin/env node
// Builds the demo page served by `picostack node` (`npm start`): demo/ (Svelte 5 + the
// picostack sources) bundled by esbuild into dist/demo/ (index.html, app.js, app.css).
// No CDN: everything the page needs is in those files. Part of `npm run build`.
import { build } from 'esbuild'
import sveltePlugin from 'esbuild-svelte'
import { copyFileSync, mkdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(root, 'dist', 'demo')
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
await build({
  absWorkingDir: root,
  entryPoints: { app: 'demo/main.ts' },
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  conditions: ['svelte', 'browser'],
  mainFields: ['svelte', 'browser', 'module', 'main'],
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  plugins: [sveltePlugin({ compilerOptions: { css: 'external' } })],
  logLevel: 'warning'
})
copyFileSync(join(root, 'demo', 'index.html'), join(out, 'index.html'))
