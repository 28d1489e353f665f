/**
 * picostack: a toolkit for peer-to-peer application cores ("blockends").
 * The root module re-exports every component's public API.
 *
 * @packageDocumentation
 */
export { PicoError, isPicoError } from './errors.js'
export * from './feed/index.js'
export * from './repo/index.js'
