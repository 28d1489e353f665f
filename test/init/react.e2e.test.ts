// `picostack init` (React flavour, --react) end to end: see e2e.ts. Slow (an npm install): its own file,
// so that it has the runner's per-file time to itself.
import { test } from 'node:test'
import { browserAvailable } from '../helpers/browser.js'
import { scaffoldAndDrive } from './e2e.js'

test('picostack init --local: install, npm test, build, two browsers sync through the node (React)', {
  skip: !browserAvailable() && 'no chromium',
  timeout: 290_000
}, async () => {
  await scaffoldAndDrive('react')
})
