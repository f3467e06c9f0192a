/**
 * docs/PERFORMANCE.md is shared by every suite: each one owns the section under its own
 * "## " heading and replaces only that section on a rerun.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs"

const PREAMBLE = `# Performance

Measured by \`npm run bench\` (every suite) or \`npm run bench -- <suite>\`. Each suite
rewrites only its own section below; numbers are from the machine named in the section.
`

/** Replaces the section that starts with `heading` (up to the next "## " heading), or appends it. */
export function replaceSection(document: string, heading: string, body: string): string {
  const section = `${heading}\n\n${body.trim()}\n`
  const lines = document.split("\n")
  const start = lines.findIndex(l => l.trim() === heading.trim())
  if (start < 0) return `${document.trimEnd()}\n\n${section}`
  let end = lines.findIndex((l, i) => i > start && /^## /.test(l))
  if (end < 0) end = lines.length
  const before = lines.slice(0, start).join("\n").trimEnd()
  const after = lines.slice(end).join("\n").trim()
  return `${before}\n\n${section}${after ? `\n${after}\n` : ""}`
}

export function writeSection(path: string, heading: string, body: string): void {
  const current = existsSync(path) ? readFileSync(path, "utf8") : PREAMBLE
  const next = replaceSection(current, heading, body)
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, next)
  renameSync(tmp, path)
}
