/**
 * `vivarium plan preview|add|list|show|approve|reject`: what the planner makes of a request
 * (offline, no key), and plans kept on their tasks, reviewed and decided by an operator.
 */
import { z } from "zod"
import { Priority, PRIORITY_RULE, type Facet, type Task } from "../../schemas/index.ts"
import { approvePlan, PlanRequestInput, PlanTaskInput, planTask, previewPlan, rejectPlan, subtaskIdOf, type PlanPreview } from "../../src/domain/plans/index.ts"
import { DEFAULT_HATS, hatForFacet, hatsOf } from "../../src/domain/hats/index.ts"
import type { Workspace } from "../../src/workspace/workspace.ts"
import { Budget, BUDGET_EXAMPLE } from "../../src/domain/tasks/index.ts"
import { displayNameOf } from "../../src/domain/peers/index.ts"
import { numberFlagOf, parseFlags, takeId } from "../args.ts"
import { CONNECTION_FLAGS, ConnectionInput, withPeer } from "../connection.ts"
import { CliError } from "../errors.ts"
import { withOperator } from "../operatorPeer.ts"
import { print } from "../output.ts"

const FLAGS = { request: { type: "string" }, force: { type: "boolean", default: false }, json: { type: "boolean", default: false } } as const
const Input = PlanRequestInput.extend({ json: z.boolean() })

function describePreview(preview: PlanPreview): string {
  const { gutCheck, intent, steps, reason } = preview
  const lines = [
    `gut-check: ${gutCheck.complexity} signal${gutCheck.complexity === 1 ? "" : "s"}${gutCheck.signals.length ? ` (${gutCheck.signals.join(", ")})` : ""}`,
    `goal: ${intent.goal}`,
    ...intent.constraints.map(c => `constraint: ${c}`),
    ...intent.antiGoals.map(a => `not: ${a}`),
  ]
  if (!steps) return [...lines, `not planned: ${reason}`].join("\n")
  const after = (deps: number[]) => (deps.length ? ` (after ${deps.map(d => d + 1).join(", ")})` : "")
  return [...lines, `plan of ${steps.length} steps:`, ...steps.map(s => `  ${s.index + 1}. [${s.facet}, ${s.hat ?? "no hat"}] ${s.title}${after(s.dependsOn)}`)].join("\n")
}

async function preview(argv: string[]): Promise<number> {
  const flags = parseFlags("plan preview", argv, FLAGS, Input)
  print(flags, previewPlan(flags), describePreview)
  return 0
}

/** A plan's task with its steps' subtasks as the live queue shows them. */
interface ShownPlan {
  task: Task
  subtasks: Record<string, { status: string; hat?: string } | null>
}

function shownPlan(task: Task, find: (id: string) => Task | undefined): ShownPlan {
  const subtasks = Object.fromEntries(
    task.plan!.steps.map(s => {
      const sub = find(subtaskIdOf(task.id, s.key))
      return [s.key, sub ? { status: sub.status, ...(sub.result?.hat ? { hat: sub.result.hat } : {}) } : null]
    }),
  )
  return { task, subtasks }
}

/** How plan views name peers and hats, as this workspace has them. */
interface Naming {
  name: (peer: string) => string
  hat: (facet: Facet) => string
}

async function namingOf(workspace: Workspace): Promise<Naming> {
  const hats = await hatsOf(workspace).catch(() => DEFAULT_HATS)
  return { name: p => displayNameOf(workspace.root, p), hat: facet => hatForFacet(facet, hats)?.name ?? "no hat" }
}

function describePlan({ task, subtasks }: ShownPlan, { name, hat }: Naming): string {
  const plan = task.plan!
  const keyIndex = new Map(plan.steps.map((s, i) => [s.key, i + 1]))
  const lines = [
    `${task.id}  plan ${plan.state}${plan.decidedBy ? ` by ${name(plan.decidedBy)}` : ""}   task ${task.status}`,
    `goal:     ${plan.goal}`,
    `request:  ${task.prompt ?? ""}`,
    `source:   ${plan.source === "llm" ? "the model" : "the deterministic splitter"}${plan.note ? ` (${plan.note})` : ""}`,
    `budget:   $${task.maxBudgetUsd} split among ${plan.steps.length} steps`,
    "steps:",
    ...plan.steps.flatMap((s, i) => {
      const sub = subtasks[s.key]
      const after = s.dependsOn.length ? ` after ${s.dependsOn.map(k => keyIndex.get(k) ?? k).join(", ")}` : ""
      return [
        `  ${i + 1}. [${s.facet}, ${hat(s.facet)}] ${s.title}  ($${s.budgetUsd.toFixed(4)}${after})${sub ? `  → ${subtaskIdOf(task.id, s.key)} ${sub.status}` : ""}`,
        `     ${s.prompt.split("\n")[0]}`,
      ]
    }),
  ]
  if (plan.state === "drafting") lines.push(`drafting: a worker with GROQ_API_KEY asks its model for the plan; until then these are the splitter's steps (vivarium plan reject ${task.id} stops it)`)
  if (plan.state === "proposed") lines.push(`decide:   vivarium plan approve ${task.id} | plan reject ${task.id} [--reason TEXT]   (edit its steps in the panel: Plans)`)
  return lines.join("\n")
}

const ADD_FLAGS = { ...CONNECTION_FLAGS, ...FLAGS, draft: { type: "string", default: "splitter" }, "max-budget": { type: "string" }, model: { type: "string" }, priority: { type: "string" }, resident: { type: "string" } } as const
const AddInput = ConnectionInput.extend({
  request: PlanTaskInput.shape.request,
  force: z.boolean(),
  json: z.boolean(),
  draft: PlanTaskInput.shape.draft,
  "max-budget": numberFlagOf(Budget, BUDGET_EXAMPLE).optional(),
  model: PlanTaskInput.shape.model,
  priority: numberFlagOf(Priority, PRIORITY_RULE).optional(),
  resident: PlanTaskInput.shape.targetIdentity,
})

/** Plans a request as a task: the plan waits for an operator (this one too) to approve it. */
async function add(argv: string[]): Promise<number> {
  const flags = parseFlags("plan add", argv, ADD_FLAGS, AddInput)
  const [task, naming] = await withOperator(flags, async ({ peer, actor, audit }) => {
    const made = await planTask({ workspace: peer.workspace, actor, audit }, {
      request: flags.request,
      force: flags.force,
      draft: flags.draft,
      ...(flags["max-budget"] !== undefined ? { maxBudgetUsd: flags["max-budget"] } : {}),
      ...(flags.model ? { model: flags.model } : {}),
      ...(flags.priority !== undefined ? { priority: flags.priority } : {}),
      ...(flags.resident ? { targetIdentity: flags.resident } : {}),
    })
    return [made, await namingOf(peer.workspace)] as const
  })
  print(flags, shownPlan(task, () => undefined), v => describePlan(v, naming))
  return 0
}

const LIST_FLAGS = { ...CONNECTION_FLAGS, json: { type: "boolean", default: false } } as const
const ListInput = ConnectionInput.extend({ json: z.boolean() })

async function list(argv: string[]): Promise<number> {
  const flags = parseFlags("plan list", argv, LIST_FLAGS, ListInput)
  const plans = await withPeer(flags, peer =>
    [...peer.workspace.tasks.entries.values()]
      .filter(t => t.plan)
      .sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id))
      .map(t => ({ id: t.id, state: t.plan!.state, status: t.status, steps: t.plan!.steps.length, goal: t.plan!.goal, source: t.plan!.source, ...(t.plan!.decidedBy ? { decidedBy: t.plan!.decidedBy } : {}) })),
  )
  print(flags, plans, rows =>
    rows.length ? [`${"TASK".padEnd(24)} ${"PLAN".padEnd(9)} ${"TASK STATUS".padEnd(15)} STEPS GOAL`, ...rows.map(r => `${r.id.padEnd(24)} ${r.state.padEnd(9)} ${r.status.padEnd(15)} ${String(r.steps).padEnd(5)} ${r.goal}`)].join("\n") : "no plans (vivarium plan add --request TEXT)",
  )
  return 0
}

async function show(argv: string[]): Promise<number> {
  const [id, rest] = takeId("plan show", argv, "task")
  const flags = parseFlags("plan show", rest, LIST_FLAGS, ListInput)
  const [shown, naming] = await withPeer(flags, async peer => {
    const task = peer.workspace.tasks.get(id)
    if (!task?.plan) throw new CliError(`plan show: ${task ? `task ${id} has no plan` : `no task ${id} in the live queue`} (see vivarium plan list)`)
    return [shownPlan(task, sub => peer.workspace.tasks.get(sub)), await namingOf(peer.workspace)] as const
  })
  print(flags, shown, v => describePlan(v, naming))
  return 0
}

const DECIDE_FLAGS = { ...CONNECTION_FLAGS, json: { type: "boolean", default: false }, reason: { type: "string" } } as const
const DecideInput = ConnectionInput.extend({ json: z.boolean(), reason: z.string().min(1).max(500).optional() })

async function approve(argv: string[]): Promise<number> {
  const [id, rest] = takeId("plan approve", argv, "task")
  const flags = parseFlags("plan approve", rest, DECIDE_FLAGS, DecideInput)
  if (flags.reason) throw new CliError("plan approve: --reason goes with plan reject")
  const subtasks = await withOperator(flags, ({ peer, actor, audit }) => approvePlan({ workspace: peer.workspace, actor, audit }, id))
  print(flags, { id, state: "approved", subtasks: subtasks.map(s => ({ id: s.id, title: s.title, dependsOn: s.dependsOn })) }, v =>
    [`${id} plan approved: ${v.subtasks.length} subtasks queued`, ...v.subtasks.map(s => `  ${s.id}  ${s.title}`)].join("\n"),
  )
  return 0
}

async function reject(argv: string[]): Promise<number> {
  const [id, rest] = takeId("plan reject", argv, "task")
  const flags = parseFlags("plan reject", rest, DECIDE_FLAGS, DecideInput)
  await withOperator(flags, ({ peer, actor, audit }) => rejectPlan({ workspace: peer.workspace, actor, audit }, id, flags.reason))
  print(flags, { id, state: "rejected" }, () => `${id} plan rejected; its task is cancelled`)
  return 0
}

export const PLAN_SUBCOMMANDS = { preview, add, list, show, approve, reject }
