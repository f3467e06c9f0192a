/** `vivarium task add|list`: queue operations as a short-lived peer of the relay. */
import { z } from "zod"
import { Id, ModelChoice, TaskStatus, type Task } from "../../schemas/index.ts"
import type { DataIssue } from "../../src/core/validate.ts"
import { numberFlag, parseFlags, UsdFlag } from "../args.ts"
import { CONNECTION_FLAGS, ConnectionInput, withPeer } from "../connection.ts"
import { CliError } from "../errors.ts"
import { operatorActor } from "../operator.ts"

export function printIssues(issues: DataIssue[]): void {
  for (const i of issues.slice(0, 20)) console.error(`warning: invalid data in ${i.doc} at ${i.path}: ${i.message}`)
  if (issues.length > 20) console.error(`warning: ${issues.length - 20} more data issues`)
}

const ADD_FLAGS = {
  ...CONNECTION_FLAGS,
  prompt: { type: "string" },
  command: { type: "string" },
  title: { type: "string" },
  "depends-on": { type: "string" },
  "max-budget": { type: "string" },
  "min-budget": { type: "string" },
  model: { type: "string" },
  priority: { type: "string" },
  json: { type: "boolean", default: false },
} as const

const AddInput = ConnectionInput.extend({
  prompt: z.string().min(1, "prompt is empty").optional(),
  command: z.string().min(1, "command is empty").optional(),
  title: z.string().min(1).max(200).optional(),
  "depends-on": z
    .string()
    .transform(s => s.split(",").map(x => x.trim()).filter(Boolean))
    .pipe(z.array(Id))
    .optional(),
  "max-budget": UsdFlag.optional(),
  "min-budget": UsdFlag.optional(),
  model: ModelChoice.optional(),
  priority: numberFlag({ min: -100, max: 100, nan: "priority must be a whole number from -100 to 100", int: "priority must be a whole number from -100 to 100" }).optional(),
  json: z.boolean(),
}).refine(v => !!v.prompt !== !!v.command, { message: "give exactly one of --prompt TEXT or --command CMD" })

async function add(argv: string[]): Promise<number> {
  const flags = parseFlags("task add", argv, ADD_FLAGS, AddInput)
  const task = await withPeer(flags, peer => {
    const ws = peer.workspace
    const unknown = (flags["depends-on"] ?? []).filter(id => !ws.tasks.get(id))
    if (unknown.length) throw new CliError(`task add: --depends-on names unknown task ${unknown.join(", ")} (see vivarium task list)`)
    return ws.addTask(
      {
        ...(flags.prompt ? { prompt: flags.prompt } : {}),
        ...(flags.command ? { command: flags.command } : {}),
        ...(flags.title ? { title: flags.title } : {}),
        ...(flags["depends-on"] ? { dependsOn: flags["depends-on"] } : {}),
        ...(flags["max-budget"] !== undefined ? { maxBudgetUsd: flags["max-budget"] } : {}),
        ...(flags["min-budget"] !== undefined ? { minBudgetUsd: flags["min-budget"] } : {}),
        ...(flags.model ? { model: flags.model } : {}),
        ...(flags.priority !== undefined ? { priority: flags.priority } : {}),
      },
      operatorActor(),
    )
  })
  console.log(flags.json ? JSON.stringify(task) : task.id)
  return 0
}

const LIST_FLAGS = { ...CONNECTION_FLAGS, json: { type: "boolean", default: false }, status: { type: "string" } } as const
const ListInput = ConnectionInput.extend({ json: z.boolean(), status: TaskStatus.optional() })

function formatRow(t: Task): string {
  const notes = [
    t.blocked && t.status === "blocked" ? `blocked: ${t.blocked.reason}` : "",
    t.duplicateRun ? "RAN TWICE (partition), see vivarium audit verify" : "",
  ].filter(Boolean)
  return `${t.id.padEnd(24)} ${t.status.padEnd(15)} ${t.mode.padEnd(5)} ${t.title}${notes.length ? `  [${notes.join("; ")}]` : ""}`
}

async function list(argv: string[]): Promise<number> {
  const flags = parseFlags("task list", argv, LIST_FLAGS, ListInput)
  const { tasks, issues } = await withPeer(flags, peer => ({
    tasks: [...peer.workspace.tasks.entries.values()]
      .filter(t => !flags.status || t.status === flags.status)
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id)),
    issues: peer.workspace.issues,
  }))
  printIssues(issues)
  if (flags.json) console.log(JSON.stringify(tasks, null, 2))
  else if (!tasks.length) console.log("no tasks")
  else console.log([`${"ID".padEnd(24)} ${"STATUS".padEnd(15)} ${"MODE".padEnd(5)} TITLE`, ...tasks.map(formatRow)].join("\n"))
  return 0
}

export const TASK_SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = { add, list }
