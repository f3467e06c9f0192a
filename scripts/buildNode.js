// Builds the Node side (the CLI and what it runs: relay, worker, the shared domain) into
// dist/node with esbuild, so `vivarium` runs plain JavaScript. One entry (cli/main.ts); each
// command's module is a dynamic import and becomes its own chunk, loaded only when that
// command runs. Dependencies are bundled too (a few large files load faster than hundreds
// of small ones) except those that find files next to themselves at run time.
// Type checking is `npm run typecheck`; this only emits.
import { rmSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"
import { nodeBuildOptions } from "./nodeBuildOptions.js"

const root = fileURLToPath(new URL("..", import.meta.url))
const outdir = `${root}dist/node`

rmSync(outdir, { recursive: true, force: true })
await build({
  ...nodeBuildOptions(root),
  entryPoints: ["cli/main.ts"],
  outdir,
  entryNames: "[name]",
  chunkNames: "chunks/[name]-[hash]",
  splitting: true,
  sourcemap: "linked",
  logLevel: "warning",
})
