/** `vivarium resident list|show|forge`: the workspace's residents, and forging a new one. */
import type { Identity } from "../../schemas/index.ts"
import { ForgeInput, forgeIdentity, residentOf, residents } from "../../src/domain/residents/index.ts"
import { parseFlags, stringFlags, takeId } from "../args.ts"
import { withPeer } from "../connection.ts"
import { CliError } from "../errors.ts"
import { actAsOperator } from "../operatorAction.ts"
import { formatTime, oneLine, OUTPUT_FLAGS, OutputInput, print, printTable } from "../output.ts"

async function list(argv: string[]): Promise<number> {
  const flags = parseFlags("resident list", argv, OUTPUT_FLAGS, OutputInput)
  const all = await withPeer(flags, async peer => [...(await residents(peer.workspace)).values()].sort((a, b) => a.name.localeCompare(b.name)))
  printTable(flags, all, {
    header: `${"ID".padEnd(24)} ${"NAME".padEnd(24)} LEVEL  DONE  FAILED  SUMMARY`,
    row: ({ id, name, continuity: c, summary }) =>
      `${id.padEnd(24)} ${name.padEnd(24)} ${String(c.level).padStart(5)} ${String(c.tasksCompleted).padStart(5)} ${String(c.tasksFailed).padStart(7)}  ${oneLine(summary ?? "", 60)}`,
    empty: "no residents yet: forge one with vivarium resident forge --name NAME",
  })
  return 0
}

/** A resident as an operator reads it: who they are, what they like, how far they got. */
export function describeResident(r: Identity, creator: string): string {
  const lines = [`${r.name}  (${r.id})`]
  if (r.summary) lines.push(`summary:    ${r.summary}`)
  if (r.statement) lines.push(`statement:  ${r.statement}`)
  if (r.core.traits.length) lines.push(`traits:     ${r.core.traits.join(", ")}`)
  if (r.core.values.length) lines.push(`values:     ${r.core.values.join(", ")}`)
  if (r.preferredActivities?.length) lines.push(`activities: ${r.preferredActivities.join(", ")}`)
  for (const [key, value] of Object.entries(r.mutable)) lines.push(`${`${key}:`.padEnd(11)} ${value}`)
  const c = r.continuity
  lines.push(`level:      ${c.level} (${c.tasksCompleted} tasks done, ${c.tasksFailed} failed, ${c.sessions} sessions)`)
  if (r.seed) lines.push(`seed:       ${r.seed}`)
  lines.push(`forged:     ${formatTime(r.createdAt)} by ${creator}`)
  if (r.profile.bio) lines.push(`bio:        ${r.profile.bio}`)
  return lines.join("\n")
}

async function show(argv: string[]): Promise<number> {
  const [id, rest] = takeId("resident show", argv, "resident")
  const flags = parseFlags("resident show", rest, OUTPUT_FLAGS, OutputInput)
  const { resident, creator } = await withPeer(flags, async peer => {
    const resident = await residentOf(peer.workspace, id)
    const operator = peer.workspace.root.peers[resident.createdBy]
    return { resident, creator: operator?.displayName ?? resident.createdBy }
  })
  print(flags, resident, r => describeResident(r, creator))
  return 0
}

const FORGE_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("name", "summary", "statement", "seed", "traits", "values", "activities", "bio") }

/** The forge form's fields, as flags: the same rules and messages (src/domain/residents/inputs.ts). */
const ForgeFlags = OutputInput.extend(ForgeInput.shape).extend({ name: ForgeInput.shape.name.optional() })

async function forge(argv: string[]): Promise<number> {
  const { json, relay, token, data, ...fields } = parseFlags("resident forge", argv, FORGE_FLAGS, ForgeFlags)
  const name = fields.name
  if (name === undefined) throw new CliError("resident forge: --name NAME is required (see vivarium resident --help)")
  const identity = await actAsOperator({ relay, token, data }, ctx => forgeIdentity(ctx, { ...fields, name }))
  print({ json }, identity, r => `forged ${r.name} (${r.id}), creativity seed ${r.seed}`)
  return 0
}

export const RESIDENT_SUBCOMMANDS = { list, show, forge }
