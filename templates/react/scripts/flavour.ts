// React, with esbuild's own JSX transform (tsconfig: "jsx": "react-jsx").
import type { BuildOptions } from 'esbuild'

/** The page's entry and the bundler options of this UI stack. */
export const flavour: { entry: string, options: BuildOptions } = {
  entry: 'src/app/main.tsx',
  options: { jsx: 'automatic' }
}
