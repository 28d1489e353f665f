// Svelte components for the type checker (esbuild-svelte compiles them).
declare module '*.svelte' {
  import type { Component } from 'svelte'
  const component: Component<Record<string, unknown>>
  export default component
}
