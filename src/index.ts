/**
 * picostack: a toolkit for peer-to-peer application cores ("blockends").
 * The root module re-exports every component's public API.
 *
 * @packageDocumentation
 */
export { PicoError, isPicoError } from './errors.js'
export * from './feed/index.js'
// nuro's operators have short generic names (get, next, write...): exported as a namespace.
export * as nuro from './nuro/index.js'
export type { Neuron } from './nuro/index.js'
export * from './net/index.js'
export * from './repo/index.js'
export * from './store/index.js'
export * from './kernel/index.js'
export * from './modem/index.js'
