// isPicoError checks the PicoError brand, not the shape of any error with a string code.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PicoError, isPicoError } from '../src/errors.js'
import { StoreError } from '../src/store/index.js'
import { RepoError } from '../src/repo/index.js'

test('isPicoError: PicoErrors (any component, any copy of the library) yes; ECONNRESET-like errors no', () => {
  assert.ok(isPicoError(new PicoError('X')))
  assert.ok(isPicoError(new StoreError('Closed'), 'Closed'))
  assert.ok(isPicoError(new RepoError('Closed')))
  assert.ok(!isPicoError(new StoreError('Closed'), 'Rejected'))
  // Node's system errors and abstract-level's errors carry string codes too.
  const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104 })
  assert.ok(!isPicoError(reset))
  assert.ok(!isPicoError(reset, 'ECONNRESET'))
  assert.ok(!isPicoError(Object.assign(new Error('closed'), { code: 'Closed' }), 'Closed'))
  assert.ok(!isPicoError({ code: 'Closed', message: 'x' }))
  assert.ok(!isPicoError(undefined))
  assert.ok(!isPicoError('Closed'))
  // Another copy of the library: a class of its own, the same registered brand.
  class OtherCopyError extends Error { code = 'Closed' }
  Object.defineProperty(OtherCopyError.prototype, Symbol.for('picostack.error'), { value: true })
  assert.ok(isPicoError(new OtherCopyError(), 'Closed'))
})
