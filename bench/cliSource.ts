/**
 * The CLI from its TypeScript sources, compiled at start: what bin/vivarium.js did before
 * the build (tsx registered, then cli/main.ts imported). Only the `cli` benchmark runs it, as
 * the baseline: `node bench/launch.js bench/cliSource.ts ARGS…`.
 */
import { main } from "../cli/main.ts"

const code = await main(process.argv.slice(2))
process.exitCode = code
process.stdout.write("", () => process.stderr.write("", () => process.exit(code)))
