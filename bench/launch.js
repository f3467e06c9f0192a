#!/usr/bin/env node
// Runs a TypeScript benchmark script through tsx's loader (tsx/esm/api register()), for bench
// child processes that are not part of the built CLI:   node bench/launch.js bench/bareRelay.ts [args…]
import { register } from "tsx/esm/api"
import { pathToFileURL } from "node:url"
import { resolve } from "node:path"

const [script, ...rest] = process.argv.slice(2)
if (!script) {
  console.error("usage: node bench/launch.js <script.ts> [args…]")
  process.exit(2)
}
register()
process.argv = [process.argv[0], resolve(script), ...rest]
await import(pathToFileURL(resolve(script)).href)
