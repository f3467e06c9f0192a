// How Node code is built into plain JavaScript (esbuild): the CLI (scripts/buildNode.js), and
// the benchmarks' fresh peer, which must measure what a built peer loads (bench/lib/openPeer.ts).

/** esbuild options shared by every Node build; `root` is the repository's directory. */
export function nodeBuildOptions(root) {
  return {
    absWorkingDir: root,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // The Automerge WASM is read from the package's own directory; cbor-extract is a native addon.
    external: ["@automerge/automerge", "cbor-extract"],
    // Bundled CommonJS packages require Node's built-ins.
    banner: { js: 'import { createRequire as __vivariumRequire } from "node:module"; const require = __vivariumRequire(import.meta.url);' },
  }
}
