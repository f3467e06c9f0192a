#!/usr/bin/env node
// Runs the CLI built into dist/node by `npm run build` (`npm ci` runs it): plain JavaScript,
// no TypeScript compiler at run time.
const entry = new URL("../dist/node/main.js", import.meta.url)
let main
try {
  ;({ main } = await import(entry.href))
} catch (error) {
  if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes(entry.pathname)) throw error
  console.error("vivarium: the CLI is not built yet: run `npm run build` (or `npm ci`) in the vivarium directory")
  process.exit(1)
}
const code = await main(process.argv.slice(2))
// Exit once output is flushed: a finished command must not linger on library timers.
process.exitCode = code
process.stdout.write("", () => process.stderr.write("", () => process.exit(code)))
