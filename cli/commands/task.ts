/** `vivarium task add|list`: queue operations as a short-lived peer of the relay. */
import { z } from "zod"
import { Priority, PRIORITY_RULE, TaskStatus, type RootDoc, type Task } from "../../schemas/index.ts"
import type { DataIssue } from "../../src/core/validate.ts"
import { numberFlagOf, parseFlags, takePositionals } from "../args.ts"
import { CONNECTION_FLAGS, ConnectionInput, withPeer } from "../connection.ts"
import { CliError } from "../errors.ts"
import { withOperator } from "../operatorPeer.ts"
import { print } from "../output.ts"
import { displayNameOf } from "../../src/domain/peers/index.ts"
import { addTask, Budget, BUDGET_EXAMPLE, TaskFields, taskTextRefusal } from "../../src/domain/tasks/index.ts"
import type { WaitReason } from "../../src/domain/tasks/index.ts"
import { workspaceWaits } from "../waits.ts"

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

/** The flags of `task add`, each checked by the task's own input rule (src/domain/tasks/inputs.ts). */
const AddInput = ConnectionInput.extend({
  prompt: TaskFields.prompt.optional(),
  command: TaskFields.command.optional(),
  title: TaskFields.title.optional(),
  "depends-on": z
    .string()
    .transform(s => s.split(",").map(x => x.trim()).filter(Boolean))
    .pipe(TaskFields.dependsOn)
    .optional(),
  "max-budget": numberFlagOf(Budget, BUDGET_EXAMPLE).optional(),
  "min-budget": numberFlagOf(Budget, BUDGET_EXAMPLE).optional(),
  model: TaskFields.model.optional(),
  priority: numberFlagOf(Priority, PRIORITY_RULE).optional(),
  json: z.boolean(),
}).refine(v => !!v.prompt !== !!v.command, { message: "give exactly one of --prompt TEXT or --command CMD" })

async function add(argv: string[]): Promise<number> {
  const flags = parseFlags("task add", argv, ADD_FLAGS, AddInput)
  // Refused before connecting: the command or prompt the worker would refuse (addTask checks it too).
  const refusal = taskTextRefusal(flags)
  if (refusal) throw refusal
  const task = await withOperator(flags, ({ peer, actor, audit }) =>
    addTask({ workspace: peer.workspace, actor, audit }, {
      ...(flags.prompt ? { prompt: flags.prompt } : {}),
      ...(flags.command ? { command: flags.command } : {}),
      ...(flags.title ? { title: flags.title } : {}),
      ...(flags["depends-on"] ? { dependsOn: flags["depends-on"] } : {}),
      ...(flags["max-budget"] !== undefined ? { maxBudgetUsd: flags["max-budget"] } : {}),
      ...(flags["min-budget"] !== undefined ? { minBudgetUsd: flags["min-budget"] } : {}),
      ...(flags.model ? { model: flags.model } : {}),
      ...(flags.priority !== undefined ? { priority: flags.priority } : {}),
    }),
  )
  console.log(flags.json ? JSON.stringify(task) : task.id)
  return 0
}

const LIST_FLAGS = { ...CONNECTION_FLAGS, json: { type: "boolean", default: false }, status: { type: "string" } } as const
const ListInput = ConnectionInput.extend({ json: z.boolean(), status: TaskStatus.optional() })

/** A task with why it waits (absent while it runs or once it finished), as the CLI prints it. */
type ListedTask = Task & { wait?: WaitReason }

function formatRow(t: ListedTask): string {
  const notes = [t.wait?.short ?? "", t.duplicateRun ? "ran twice (partition), see vivarium audit verify" : ""].filter(Boolean)
  return `${t.id.padEnd(24)} ${t.status.padEnd(15)} ${t.mode.padEnd(5)} ${t.title}${notes.length ? `  [${notes.join("; ")}]` : ""}`
}

async function list(argv: string[]): Promise<number> {
  const flags = parseFlags("task list", argv, LIST_FLAGS, ListInput)
  const { tasks, issues } = await withPeer(flags, async peer => {
    const why = await workspaceWaits(peer.workspace)
    return {
      tasks: [...peer.workspace.tasks.entries.values()]
        .filter(t => !flags.status || t.status === flags.status)
        .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
        .map(t => withWait(t, why(t))),
      issues: peer.workspace.issues,
    }
  })
  printIssues(issues)
  if (flags.json) console.log(JSON.stringify(tasks, null, 2))
  else if (!tasks.length) console.log("no tasks")
  else console.log([`${"ID".padEnd(24)} ${"STATUS".padEnd(15)} ${"MODE".padEnd(5)} TITLE  [WHY IT WAITS]`, ...tasks.map(formatRow)].join("\n"))
  return 0
}

const SHOW_FLAGS = { ...CONNECTION_FLAGS, json: { type: "boolean", default: false } } as const

const withWait = (t: Task, wait: WaitReason | undefined): ListedTask => (wait ? { ...t, wait } : t)

/** Everything an operator needs to decide a review: why it waits, the result, the critic's verdict, the history; people by `name` (their display names). */
export function describeTask(t: ListedTask, name: (peer: string) => string = peer => peer): string {
  const lines = [
    `${t.id}  ${t.status}${t.duplicateRun ? "  ran twice (partition)" : ""}`,
    `title:    ${t.title}`,
    t.mode === "llm" ? `prompt:   ${t.prompt}` : `command:  ${t.command}`,
    `model:    ${t.model}   budget: $${t.minBudgetUsd}–$${t.maxBudgetUsd}   priority: ${t.priority}`,
  ]
  if (t.dependsOn.length) lines.push(`depends:  ${t.dependsOn.join(", ")}`)
  if (t.wait) lines.push(`waiting:  ${t.wait.text}`)
  if (t.lastError) lines.push(`error:    ${t.lastError}`)
  if (t.result) {
    const r = t.result
    lines.push(
      `result:   by ${r.worker}, ${r.model}, $${r.costUsd}${r.exitCode !== undefined ? `, exit ${r.exitCode}` : ""}${r.usage ? `, ${r.usage.promptTokens}+${r.usage.completionTokens} tokens` : ""}`,
      ...(r.output ? r.output.split("\n").map(l => `  | ${l}`) : ["  (no output)"]),
      ...(r.context ? [`context:  ${r.context.length} characters given to the model (vivarium task context ${t.id})`] : []),
    )
  }
  if (t.review)
    lines.push(
      `review:   ${t.review.verdict} (confidence ${t.review.confidence})${t.review.issues.length ? `: ${t.review.issues.join("; ")}` : ""}` +
        (t.review.decidedBy ? `; decided by ${name(t.review.decidedBy)}` : ""),
    )
  lines.push("history:")
  for (const h of t.history) lines.push(`  ${new Date(h.at).toISOString()}  ${h.from} → ${h.to}  by ${name(h.by.name)}${h.reason ? `: ${h.reason}` : ""}`)
  if (t.status === "pending_review") lines.push(`decide:   vivarium task approve ${t.id} [--tip N] [--feedback TEXT] | task requeue ${t.id} | task fail ${t.id}`)
  return lines.join("\n")
}

/** The task named by the first argument, as the live queue holds it, with why it waits. */
async function liveTask(command: string, argv: string[]): Promise<{ task: ListedTask; root: RootDoc; json: boolean }> {
  const [[id], rest] = takePositionals(command, argv, ["ID"])
  const flags = parseFlags(command, rest, SHOW_FLAGS, ConnectionInput.extend({ json: z.boolean() }))
  const [task, root] = await withPeer(flags, async peer => {
    const found = peer.workspace.tasks.get(id!)
    return [found && withWait(found, (await workspaceWaits(peer.workspace))(found)), peer.workspace.root] as const
  })
  if (!task) throw new CliError(`${command}: no task ${id} in the live queue (see vivarium task list)`)
  return { task, root, json: flags.json }
}

async function show(argv: string[]): Promise<number> {
  const { task, root, json } = await liveTask("task show", argv)
  console.log(json ? JSON.stringify(task, null, 2) : describeTask(task, peer => displayNameOf(root, peer)))
  return 0
}

/** The exact resident context a task's run gave the model. */
async function context(argv: string[]): Promise<number> {
  const { task, json } = await liveTask("task context", argv)
  const text = task.result?.context
  const why = task.result ? "its run had no resident context (the task targets no resident, or is a command)" : "it has not run yet"
  print({ json }, { id: task.id, context: text ?? null, ...(text ? {} : { reason: why }) }, v => v.context ?? `${task.id}: no context: ${why}`)
  return 0
}

export const TASK_SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = { add, list, show, context }
