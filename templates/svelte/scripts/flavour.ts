// Svelte 5, compiled by esbuild-svelte.
import sveltePlugin from 'esbuild-svelte'
import type { BuildOptions } from 'esbuild'

/** The page's entry and the bundler options of this UI stack. */
export const flavour: { entry: string, options: BuildOptions } = {
  entry: 'src/app/main.ts',
  options: {
    plugins: [sveltePlugin({ compilerOptions: { css: 'external' } })],
    mainFields: ['svelte', 'browser', 'module', 'main'],
    conditions: ['svelte', 'browser']
  }
}
