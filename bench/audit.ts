/**
 * `npm run bench -- audit`: opening the newest page (500 entries) of one peer's audit log of
 * 20,000 signed entries, from its saved bytes, in three layouts built from the same entries:
 * today's single document with every string as collaborative text, a single document with
 * immutable strings, and segments by month (src/domain/audit/segments.ts: 20 months of 1,000,
 * immutable strings), where the page reads the newest segment alone. In process, no relay:
 * the figure is Automerge's load plus validating the entries read (`auditEntries`).
 * BENCH_SCALE (default 1) scales the number of entries, for development.
 */
import * as A from "@automerge/automerge"
import { SCHEMA_VERSION, type AuditDoc, type AuditEntry } from "../schemas/index.ts"
import { entryHash, signEntry } from "../src/domain/audit/audit.ts"
import { auditEntries, storedEntry } from "../src/domain/audit/auditLog.ts"
import { generateSigningKey, importPrivateKey } from "../src/core/signing.ts"
import { loadAverage, machineLine } from "./lib/machine.ts"
import { mib, ms, ratio, summarize } from "./lib/stats.ts"
import type { BenchSuite, SuiteContext, SuiteResult } from "./lib/suite.ts"

const SCALE = Number(process.env.BENCH_SCALE ?? 1)
const CONFIG = { entries: Math.max(1000, Math.round(20_000 * SCALE)), months: 20, page: 500, runs: 7 }
const PEER = "alice"

export const suite: BenchSuite = {
  name: "audit",
  heading: "## Audit logs by period (npm run bench -- audit)",
  description: "opening the newest page of an audit log of 20,000 entries: one document vs monthly segments",
  run,
}

/** A signed, hash-chained log of `n` entries over `months` months, as the owner's AuditLog writes them. */
async function signedLog(n: number): Promise<AuditEntry[]> {
  const { privateKeyPkcs8 } = await generateSigningKey()
  const key = await importPrivateKey(privateKeyPkcs8)
  const out: AuditEntry[] = []
  let prev = ""
  for (let seq = 0; seq < n; seq++) {
    const month = Math.floor((seq * CONFIG.months) / n)
    const at = Date.UTC(2027, month, 1) + seq * 1000
    const data = JSON.stringify({ from: "queued", to: "approved", task: `task-${seq}`, note: "reviewed and approved" })
    const entry = await signEntry({ seq, prev, at, actor: { kind: "operator", name: PEER }, kind: "approval", subject: `task-${seq}`, data }, key)
    prev = await entryHash(entry)
    out.push(entry)
  }
  return out
}

/** The saved bytes of one audit document holding `entries`, each written by `write`, in changes of 1,000. */
function saved(entries: readonly AuditEntry[], write: (e: AuditEntry) => AuditEntry, period?: string): Uint8Array {
  let doc = A.from<AuditDoc>({ schemaVersion: SCHEMA_VERSION, kind: "audit", peer: PEER, ...(period ? { period } : {}), entries: [] })
  for (let i = 0; i < entries.length; i += 1000) doc = A.change(doc, d => void d.entries.push(...entries.slice(i, i + 1000).map(write)))
  return A.save(doc)
}

/** Automerge operations one more entry costs in a document, written by `write`. */
function opsPerEntry(entry: AuditEntry, write: (e: AuditEntry) => AuditEntry): number {
  const doc = A.change(A.from<AuditDoc>({ schemaVersion: SCHEMA_VERSION, kind: "audit", peer: PEER, entries: [] }), d => void d.entries.push(write(entry)))
  return A.decodeChange(A.getLastLocalChange(doc)!).ops.length
}

/** Opening the newest page: load segments newest first until they hold a page, validate their entries. */
function openPage(segments: readonly Uint8Array[]): number {
  const start = performance.now()
  let read = 0
  for (const bytes of segments) {
    read += auditEntries(A.load(bytes)).length
    if (read >= CONFIG.page) break
  }
  return performance.now() - start
}

async function run(ctx: SuiteContext): Promise<SuiteResult> {
  ctx.log(`signing ${CONFIG.entries} entries…`)
  const entries = await signedLog(CONFIG.entries)
  const plain = (e: AuditEntry) => ({ ...e, actor: { ...e.actor } })
  const perMonth = Math.ceil(CONFIG.entries / CONFIG.months)
  const months = Array.from({ length: CONFIG.months }, (_, m) => entries.slice(m * perMonth, (m + 1) * perMonth))
  const layouts = {
    "one document, text strings (before)": [saved(entries, plain)],
    "one document, immutable strings": [saved(entries, storedEntry)],
    [`${CONFIG.months} monthly segments, immutable strings`]: months.map((list, m) => saved(list, storedEntry, `2027-${String(m + 1).padStart(2, "0")}`)).reverse(),
  }
  const rows: { name: string; bytes: number; p50: number }[] = []
  for (const [name, segments] of Object.entries(layouts)) {
    ctx.log(`opening: ${name}`)
    openPage(segments)
    const times = Array.from({ length: CONFIG.runs }, () => openPage(segments))
    rows.push({ name, bytes: segments.reduce((n, s) => n + s.length, 0), p50: summarize(times).p50 })
  }
  const before = rows[0]!.p50
  const ops = { text: opsPerEntry(entries[1]!, plain), immutable: opsPerEntry(entries[1]!, storedEntry) }
  const markdown = [
    `Machine: ${machineLine(ctx.machine)}; load average ${loadAverage()} at the end. ${CONFIG.entries} entries, page ${CONFIG.page}, p50 of ${CONFIG.runs} opens after one warm-up.`,
    "",
    "| layout | stored (MiB, all documents) | open the newest page, p50 (ms) | vs before |",
    "|---|---|---|---|",
    ...rows.map(r => `| ${r.name} | ${mib(r.bytes)} | ${ms(r.p50)} | ${ratio(r.p50, before)} |`),
    "",
    `Appending one entry is ${ops.text} Automerge operations with every string as text, ${ops.immutable} with immutable strings (each relayed, applied and stored by every peer that holds the log).`,
    "",
    "Opening the newest page of a segmented log loads the newest segment only (1,000 entries here), whatever the log's length; a log from before segments keeps its one document as the first segment, so its own open cost stays until the months after the upgrade push it out of the page.",
  ].join("\n")
  return { markdown, summary: rows.map(r => `${r.name}: ${ms(r.p50)} ms, ${mib(r.bytes)} MiB`).join("\n"), json: { rows, opsPerEntry: ops } }
}
