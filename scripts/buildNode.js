// Builds the Node side (the CLI and what it runs: relay, worker, the shared domain) into
// dist/node with esbuild, so `vivarium` runs plain JavaScript. One entry (cli/main.ts); each
// command's module is a dynamic import and becomes its own chunk, loaded only when that
// command runs. Dependencies are bundled too (a few large files load faster than hundreds
// of small ones) except those that find files next to themselves at run time.
// Type checking is `npm run typecheck`; this only emits.
import { rmSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"

const root = fileURLToPath(new URL("..", import.meta.url))
const outdir = `${root}dist/node`

rmSync(outdir, { recursive: true, force: true })
await build({
  absWorkingDir: root,
  entryPoints: ["cli/main.ts"],
  outdir,
  entryNames: "[name]",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: "linked",
  // The Automerge WASM is read from the package's own directory; cbor-extract is a native addon.
  external: ["@automerge/automerge", "cbor-extract"],
  // Bundled CommonJS packages require Node's built-ins.
  banner: { js: 'import { createRequire as __vivariumRequire } from "node:module"; const require = __vivariumRequire(import.meta.url);' },
  logLevel: "warning",
})
