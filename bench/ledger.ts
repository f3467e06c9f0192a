/**
 * `npm run bench -- ledger`: the wallet ledger of 100,000 entries (BENCH_SCALE shrinks it),
 * in today's single wallets document and by period (a signed checkpoint of the closed months
 * and the open month's segment, its entries in day maps), side by side in the same process:
 *
 *  1. open: Automerge load + validation + derivation of every wallet, as a reader does it;
 *  2. grant: p50 of `grant` (sign + write under its key) on the big ledger and on an empty one,
 *     and on the open segment with one flat map (the layout before day maps).
 *
 * Both layouts hold the same entries and must derive the same balances (checked).
 */
import * as A from "@automerge/automerge"
import { ImmutableString, Repo, type DocHandle } from "@automerge/automerge-repo"
import type { LedgerCheckpointDoc, LedgerEntry, WalletsDoc } from "../schemas/index.ts"
import type { AuthorityChain } from "../src/core/authorityChain.ts"
import { generateSigningKey, importPrivateKey } from "../src/core/signing.ts"
import type { RecordSigner } from "../src/core/signedRecords.ts"
import { grant } from "../src/domain/wallets/actions.ts"
import { checkpointBody, signCheckpoint, verifyCheckpoint } from "../src/domain/wallets/checkpoint.ts"
import { carriedForward, deriveWallets, type Wallet } from "../src/domain/wallets/ledger.ts"
import { emptyDays, placeEntry, segmentSize } from "../src/domain/wallets/days.ts"
import { dayOf, periodOf } from "../src/domain/wallets/periods.ts"
import type { Ledger } from "../src/domain/wallets/segments.ts"
import { readLedger } from "../src/workspace/documentReaders.ts"
import { codeVersion, loadAverage, machineLine } from "./lib/machine.ts"
import { REPO_ROOT } from "./lib/proc.ts"
import type { BenchSuite, SuiteContext, SuiteResult } from "./lib/suite.ts"
import { makeLedger } from "./social.ts"
import { SCHEMA_VERSION_1 } from "./syncData.ts"

const SCALE = Number(process.env.BENCH_SCALE ?? 1)
/** Residents shrink with the entries, so the ledger spans the same four months at any scale. */
const CONFIG = { entries: Math.max(1_000, Math.round(100_000 * SCALE)), residents: Math.max(2, Math.round(200 * SCALE)), batch: 1000, openRuns: 3, grants: 60, warmup: 5 }
/** The open period modelled as the last 30 days of entries (a month's segment just before it closes: the most a reader loads). */
const OPEN_DAYS = 30

export const suite: BenchSuite = {
  name: "ledger",
  heading: "## Ledger by period (npm run bench -- ledger)",
  description: "a wallet ledger of 100,000 entries: open and grant p50, one document vs a checkpoint + the open month",
  run,
}

const time = <T>(fn: () => T): [T, number] => {
  const t0 = performance.now()
  const value = fn()
  return [value, performance.now() - t0]
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const ms = (t: number) => (t < 10 ? t.toFixed(1) : t.toFixed(0))
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1)
const balances = (w: Map<string, Wallet>) => JSON.stringify([...w].filter(([, x]) => x.freeTime || x.journal).sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, x]) => [id, x.freeTime, x.journal]))

/** A segment holding `entries`: in one flat map (the layout before day maps), or in day maps as the writer places them. */
function segmentOf(entries: LedgerEntry[], layout: "flat" | "days", period?: string): Uint8Array {
  let d = A.from<WalletsDoc>({ schemaVersion: SCHEMA_VERSION_1, kind: "wallets", ...(period ? { period } : {}), entries: {}, ...(layout === "days" ? { days: emptyDays() } : {}) })
  for (let s = 0; s < entries.length; s += CONFIG.batch)
    d = A.change(d, w => {
      for (const e of entries.slice(s, s + CONFIG.batch)) placeEntry(w, e)
    })
  return A.save(d)
}

/**
 * Why a flat segment's grant cost follows its size: Automerge's JS document copies the map an
 * entry is written into. The median cost of writing one new key (no signing) into the
 * segment's flat map, and into one of its day maps.
 */
function writeCost(flatBytes: Uint8Array, daysBytes: Uint8Array, template: LedgerEntry): { flat: number; days: number } {
  let flat = A.load<WalletsDoc>(flatBytes)
  let days = A.load<WalletsDoc>(daysBytes)
  const runs = { flat: [] as number[], days: [] as number[] }
  for (let i = 0; i < 20; i++) {
    const probe = { ...template, key: `probe-${i}` }
    runs.flat.push(time(() => (flat = A.change(flat, d => void placeEntry(d, probe))))[1])
    runs.days.push(time(() => (days = A.change(days, d => void placeEntry(d, probe))))[1])
  }
  return { flat: median(runs.flat), days: median(runs.days) }
}

async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const started = performance.now()
  const loadBefore = loadAverage()
  const entries = makeLedger(CONFIG.entries, CONFIG.residents)
  const last = Math.max(...entries.map(e => e.at))
  const cutoff = last - OPEN_DAYS * 86_400_000
  const openPeriod = periodOf(last)
  const closed = entries.filter(e => e.at < cutoff)
  const open = entries.filter(e => e.at >= cutoff)
  ctx.log(`${entries.length} entries; the open period (the last ${OPEN_DAYS} days) holds ${open.length}`)

  const pair = await generateSigningKey()
  const signer: RecordSigner = { actor: { kind: "system", name: "relay" }, key: await importPrivateKey(pair.privateKeyPkcs8) }
  // The chain of authority as a reader holds it: the relay's key, valid at any time.
  const chain = { keyFor: () => pair.publicKeyHex } as unknown as AuthorityChain

  // Today's layout: one document.
  const [whole, wholeBuildMs] = time(() => segmentOf(entries, "flat"))
  // By period: the checkpoint of the closed months, and the open month's segment.
  const start = carriedForward(deriveWallets(closed))
  const body = checkpointBody("legacy", start, { legacy: { heads: [], entries: closed.length } })
  const signed = await signCheckpoint("legacy", body, Date.now(), signer)
  const checkpointBytes = A.save(A.from<LedgerCheckpointDoc>({ schemaVersion: SCHEMA_VERSION_1, kind: "ledger-checkpoint", ...signed, body: new ImmutableString(body) }))
  const segmentBytes = segmentOf(open, "days", openPeriod)
  const flatSegmentBytes = segmentOf(open, "flat", openPeriod)
  ctx.log(`built: one document ${mib(whole.length)} MiB in ${ms(wholeBuildMs)} ms; checkpoint ${mib(checkpointBytes.length)} MiB, open segment ${mib(segmentBytes.length)} MiB`)

  const openWhole = () => deriveWallets(readLedger(A.load<WalletsDoc>(whole), "wallets", []).values())
  const openByPeriod = async () => {
    const verdict = await verifyCheckpoint(A.load<LedgerCheckpointDoc>(checkpointBytes), "legacy", chain)
    if (!verdict.ok) throw new Error(`the checkpoint does not verify: ${verdict.reason}`)
    return deriveWallets(readLedger(A.load<WalletsDoc>(segmentBytes), "wallets", []).values(), undefined, verdict.start)
  }
  const wholeRuns: number[] = []
  const periodRuns: number[] = []
  let expected = ""
  for (let i = 0; i < CONFIG.openRuns; i++) {
    const [w, t] = time(openWhole)
    wholeRuns.push(t)
    expected = balances(w)
    const t0 = performance.now()
    const p = await openByPeriod()
    periodRuns.push(performance.now() - t0)
    if (balances(p) !== expected) throw new Error("the checkpoint and the open month derive other balances than the whole ledger")
  }
  ctx.log(`open: one document ${wholeRuns.map(ms).join(", ")} ms; by period ${periodRuns.map(ms).join(", ")} ms`)

  // Grants through the same code the CLI, the panel and the relay use, on an in-memory Repo.
  const repo = new Repo({ network: [] })
  const ledgerOf = (handle: DocHandle<WalletsDoc>, from?: Ledger["start"]): Ledger => ({ open: handle, tail: [handle], issues: [], ...(from ? { start: from } : {}) })
  const ledgers = {
    empty: ledgerOf(repo.create<WalletsDoc>({ schemaVersion: SCHEMA_VERSION_1, kind: "wallets", entries: {}, days: emptyDays() })),
    whole: ledgerOf(repo.import<WalletsDoc>(whole)),
    flatPeriod: ledgerOf(repo.import<WalletsDoc>(flatSegmentBytes), start),
    byPeriod: ledgerOf(repo.import<WalletsDoc>(segmentBytes), start),
  }
  const grantRuns: Record<keyof typeof ledgers, number[]> = { empty: [], whole: [], flatPeriod: [], byPeriod: [] }
  // Grants of the open period's last day: written into its busiest day map.
  const at = last
  for (let i = 0; i < CONFIG.warmup + CONFIG.grants; i++)
    for (const name of Object.keys(ledgers) as (keyof typeof ledgers)[]) {
      const t0 = performance.now()
      await grant(ledgers[name], { key: `grant:bench-${name}-${i}`, identity: "resident-001", amount: 10, reason: "bench", at: at + i }, signer)
      if (i >= CONFIG.warmup) grantRuns[name].push(performance.now() - t0)
    }
  await repo.shutdown()
  const write = writeCost(flatSegmentBytes, segmentBytes, { ...open[0]!, at: last })
  const busiest = segmentSize({ entries: A.load<WalletsDoc>(segmentBytes).days?.[dayOf(last)] })
  ctx.log(`one new key written into the flat map of ${open.length} entries: ${ms(write.flat)} ms; into the day map of ${busiest}: ${ms(write.days)} ms`)
  const g = { empty: median(grantRuns.empty), whole: median(grantRuns.whole), flatPeriod: median(grantRuns.flatPeriod), byPeriod: median(grantRuns.byPeriod) }
  ctx.log(`grant p50: empty ${ms(g.empty)} ms, one document ${ms(g.whole)} ms, by period (flat segment) ${ms(g.flatPeriod)} ms, by period (day maps) ${ms(g.byPeriod)} ms`)

  const w = median(wholeRuns)
  const p = median(periodRuns)
  const m = ctx.machine
  const markdown = [
    `Last run: ${m.date}. Machine: ${machineLine(m)}. Code: ${codeVersion(REPO_ROOT)}. BENCH_SCALE=${SCALE}. ` +
      `Whole suite: ${((performance.now() - started) / 1000).toFixed(0)} s; 1-minute load average before → after: ${loadBefore} → ${loadAverage()} (the machine is shared: absolute times move with the load, the ratios of one run less so, as every layout is measured in the same minutes).`,
    "",
    `${entries.length.toLocaleString("en")} ledger entries over ${CONFIG.residents} residents (bench/social.ts makeLedger: allowances, rewards, mail grants and spends over about four months). ` +
      `The open period is modelled as the last ${OPEN_DAYS} days (a month's segment just before its close, the most a reader loads): ${open.length.toLocaleString("en")} entries; the checkpoint covers the ${closed.length.toLocaleString("en")} before. Both layouts derive the same balances (checked on every run).`,
    "",
    "| | one wallets document (the layout before periods) | by period: checkpoint + open period in day maps | ratio |",
    "|---|---|---|---|",
    `| stored | ${mib(whole.length)} MiB | checkpoint ${mib(checkpointBytes.length)} MiB + segment ${mib(segmentBytes.length)} MiB | |`,
    `| **open: load, validate, derive every wallet** (median of ${CONFIG.openRuns}) | ${ms(w)} ms | ${ms(p)} ms (the checkpoint's signature verified) | ${(w / p).toFixed(1)}× faster |`,
    `| **grant p50** (sign + write, ${CONFIG.grants} grants) | ${ms(g.whole)} ms | ${ms(g.byPeriod)} ms (the open segment in one flat map: ${ms(g.flatPeriod)} ms) | vs an empty ledger (${ms(g.empty)} ms): ${(g.whole / g.empty).toFixed(1)}× → ${(g.byPeriod / g.empty).toFixed(1)}× (flat segment ${(g.flatPeriod / g.empty).toFixed(1)}×) |`,
    "",
    `Writing one new key with Automerge alone (no signing): into the open segment's flat map of ${open.length.toLocaleString("en")} entries ${ms(write.flat)} ms; ` +
      `into its day map of the grant's day (${busiest.toLocaleString("en")} entries) ${ms(write.days)} ms. Automerge's JS document copies the map an entry is written into, ` +
      "so a segment keeps its entries in day maps (src/domain/wallets/days.ts): a grant costs in proportion to its day's entries, not the month's.",
    "",
    "Target (issue 12): loading the wallets follows the open period, and a grant's p50 is within 2× of the same action on an empty workspace. " +
      "What a reader still loads in proportion to history: the checkpoint's list of counted keys (one immutable string, parsed into a set), so that a key paid in any month counts once.",
  ].join("\n")
  const summary = `ledger ${entries.length}: open ${ms(w)} ms → ${ms(p)} ms (${(w / p).toFixed(1)}x); grant p50 ${ms(g.whole)} → ${ms(g.byPeriod)} ms (empty ${ms(g.empty)} ms)`
  return { markdown, summary }
}
