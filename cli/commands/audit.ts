/** `vivarium audit verify`: every peer's chain and signatures against the registered keys. */
import { z } from "zod"
import { verifyWorkspaceAudit } from "../../src/workspace/auditVerify.ts"
import { parseFlags } from "../args.ts"
import { CONNECTION_FLAGS, ConnectionInput, withPeer } from "../connection.ts"
import { CliError } from "../errors.ts"

const FLAGS = { ...CONNECTION_FLAGS, json: { type: "boolean", default: false } } as const
const Input = ConnectionInput.extend({ json: z.boolean() })

async function verify(argv: string[]): Promise<number> {
  const flags = parseFlags("audit verify", argv, FLAGS, Input)
  const reports = await withPeer(flags, peer =>
    verifyWorkspaceAudit(peer.repo, peer.workspace.root, { rootDoc: peer.workspace.rootHandle.doc(), tasks: peer.workspace.tasks.entries.values() }),
  )
  const bad = reports.filter(r => !r.ok)
  if (flags.json) console.log(JSON.stringify({ ok: !bad.length, peers: reports }, null, 2))
  else {
    for (const r of reports) console.log(r.ok ? `ok      ${r.peer}: ${r.entries} entries` : `BROKEN  ${r.peer}: seq ${r.seq}: ${r.reason}`)
    console.log(bad.length ? `${bad.length} of ${reports.length} audit logs are broken` : `all ${reports.length} audit logs verify`)
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
