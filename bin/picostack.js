#!/usr/bin/env node
// The `picostack` command; the code is built to dist/ by `npm run build` (run by `prepare`).
import { main } from '../dist/cli/main.js'

process.exitCode = await main(process.argv.slice(2))
