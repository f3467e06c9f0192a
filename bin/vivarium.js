#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so a clean clone needs no build step.
import { register } from "tsx/esm/api"

register()
const { main } = await import("../cli/main.ts")
const code = await main(process.argv.slice(2))
// Exit once output is flushed: a finished command must not linger on library timers.
process.exitCode = code
process.stdout.write("", () => process.stderr.write("", () => process.exit(code)))
