/**
 * `vivarium audit verify`: every peer's chain and signatures against the registered keys, and
 * every authority record (approvals, payments, role changes, key rotations) against the chain of authority.
 * `--months N` checks each log's newest N monthly segments only (and their links), not its whole history.
 */
import { z } from "zod"
import { verifyAuthorityRecords, verifyWorkspaceAudit } from "../../src/domain/audit/index.ts"
import { numberFlag, parseFlags } from "../args.ts"
import { CONNECTION_FLAGS, ConnectionInput, withPeer } from "../connection.ts"
import { CliError } from "../errors.ts"

const FLAGS = { ...CONNECTION_FLAGS, json: { type: "boolean", default: false }, months: { type: "string" } } as const
const MONTHS = "--months must be a whole number of segments from 1 to 1200"
const Input = ConnectionInput.extend({ json: z.boolean(), months: numberFlag({ min: 1, max: 1200, nan: MONTHS, int: MONTHS }).optional() })

async function verify(argv: string[]): Promise<number> {
  const flags = parseFlags("audit verify", argv, FLAGS, Input)
  const [reports, unverified] = await withPeer(flags, peer =>
    Promise.all([
      verifyWorkspaceAudit(peer.repo, peer.workspace.root, {
        rootDoc: peer.workspace.rootHandle.doc(),
        tasks: peer.workspace.tasks.entries.values(),
        ...(flags.months ? { newestSegments: flags.months } : {}),
      }),
      verifyAuthorityRecords(peer.workspace),
    ]),
  )
  const bad = reports.filter(r => !r.ok)
  if (flags.json) console.log(JSON.stringify({ ok: !bad.length && !unverified.length, peers: reports, unverifiedRecords: unverified }, null, 2))
  else {
    for (const r of reports) console.log(r.ok ? `ok      ${r.peer}: ${r.entries} entries` : `BROKEN  ${r.peer}: seq ${r.seq}: ${r.reason}`)
    console.log(bad.length ? `${bad.length} of ${reports.length} audit logs are broken` : `all ${reports.length} audit logs verify`)
    for (const i of unverified) console.log(`FLAGGED ${i.doc} ${i.path}: ${i.message}`)
    console.log(unverified.length ? `${unverified.length} authority records do not verify (readers ignore them)` : "every authority record verifies")
  }
  if (unverified.length && !bad.length) {
    console.error(`vivarium: audit verify: ${unverified.length} unsigned or forged authority records (first: ${unverified[0]!.path}: ${unverified[0]!.message})`)
    return 1
  }
  if (bad.length) {
    const first = bad[0]!
    if (!first.ok) console.error(`vivarium: audit verify: peer ${first.peer} broken at seq ${first.seq}: ${first.reason}`)
    return 1
  }
  return 0
}

export async function runAuditCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== "verify") throw new CliError(`audit: unknown subcommand '${sub ?? ""}' (expected verify)`)
  return verify(rest)
}
