/** `vivarium skill list|show|approve|retire`: the workspace's skills, their use, and an operator's decision on them. */
import { z } from "zod"
import type { Skill } from "../../schemas/index.ts"
import { decideSkill, figuresOf, skillsOf, type SkillDecision, type SkillFigures } from "../../src/domain/skills/index.ts"
import { displayNameOf } from "../../src/domain/peers/index.ts"
import { parseFlags, takePositionals } from "../args.ts"
import { CONNECTION_FLAGS, ConnectionInput, withPeer } from "../connection.ts"
import { CliError } from "../errors.ts"
import { withOperator } from "../operatorPeer.ts"
import { print } from "../output.ts"

const FLAGS = { ...CONNECTION_FLAGS, json: { type: "boolean", default: false } } as const
const Input = ConnectionInput.extend({ json: z.boolean() })

type Listed = Skill & { figures: SkillFigures }
const listed = (s: Skill): Listed => ({ ...s, figures: figuresOf(s.metrics) })
const percent = (n: number | undefined) => (n === undefined ? "–" : `${Math.round(n * 100)}%`)

function row(s: Listed): string {
  const f = s.figures
  return `${s.name.padEnd(28)} ${s.state.padEnd(9)} ${String(f.uses).padStart(5)} ${percent(f.successRate).padStart(7)} ${f.averageCostUsd === undefined ? "–".padStart(9) : `$${f.averageCostUsd.toFixed(4)}`.padStart(9)}  ${s.description}`
}

async function list(argv: string[]): Promise<number> {
  const flags = parseFlags("skill list", argv, FLAGS, Input)
  const skills = await withPeer(flags, async peer => [...(await skillsOf(peer.workspace)).values()].sort((a, b) => a.name.localeCompare(b.name)).map(listed))
  print(flags, skills, all =>
    all.length ? [`${"NAME".padEnd(28)} ${"STATE".padEnd(9)} ${"USES".padStart(5)} ${"SUCCESS".padStart(7)} ${"AVG COST".padStart(9)}  DESCRIPTION`, ...all.map(row)].join("\n") : "no skills yet (the relay proposes one when tasks of one pattern keep succeeding)",
  )
  return 0
}

/** The skill a command names, by name or id. */
function named(all: Map<string, Skill>, which: string, command: string): Skill {
  const skill = all.get(which) ?? [...all.values()].find(s => s.name === which)
  if (!skill) throw new CliError(`${command}: no skill ${which} (see vivarium skill list)`)
  return skill
}

function describe(s: Listed, name: (peer: string) => string): string {
  const f = s.figures
  return [
    `${s.name}  (${s.id})  ${s.state}${s.decidedBy ? ` by ${name(s.decidedBy)}` : ""}`,
    `about:    ${s.description}`,
    `proposed: by ${name(s.proposedBy)}${s.fromTasks.length ? `, from ${s.fromTasks.join(", ")}` : ""}`,
    ...(s.draftNote ? [`words:    ${s.draftNote}`] : []),
    `used:     ${f.uses} times, ${percent(f.successRate)} approved${f.averageCostUsd !== undefined ? `, $${f.averageCostUsd.toFixed(4)} and ${f.averageLatencyMs} ms on average` : ""}${f.lastUsedAt ? `, last ${new Date(f.lastUsedAt).toISOString()}` : ""}`,
    ...s.params.map(p => `param:    {{${p.name}}} (${p.type}) ${p.description}`),
    ...s.preconditions.map(p => `needs:    ${p}`),
    "template:",
    ...s.template.split("\n").map(l => `  | ${l}`),
    ...(s.state === "proposed" ? [`decide:   vivarium skill approve ${s.name} | skill retire ${s.name}`] : []),
  ].join("\n")
}

async function show(argv: string[]): Promise<number> {
  const [[which], rest] = takePositionals("skill show", argv, ["NAME"])
  const flags = parseFlags("skill show", rest, FLAGS, Input)
  const [skill, name] = await withPeer(flags, async peer => [listed(named(await skillsOf(peer.workspace), which!, "skill show")), (p: string) => displayNameOf(peer.workspace.root, p)] as const)
  print(flags, skill, s => describe(s, name))
  return 0
}

function decision(action: SkillDecision) {
  return async (argv: string[]): Promise<number> => {
    const command = `skill ${action}`
    const [[which], rest] = takePositionals(command, argv, ["NAME"])
    const flags = parseFlags(command, rest, FLAGS, Input)
    const skill = await withOperator(flags, async ({ peer, actor, audit }) => {
      const id = named(await skillsOf(peer.workspace), which!, command).id
      return decideSkill({ workspace: peer.workspace, actor, audit }, id, action)
    })
    print(flags, listed(skill), s => `${s.name} ${s.state}${action === "approve" ? ": tasks like it are routed to it from now on" : ": no task is routed to it any more"}`)
    return 0
  }
}

export const SKILL_SUBCOMMANDS = { list, show, approve: decision("approve"), retire: decision("retire") }
