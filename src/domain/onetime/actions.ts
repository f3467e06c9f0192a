/**
 * What operators do with one-time tasks, signed into their audit log: add one to the
 * catalogue, retire it, and claim one for a resident (a task with the one-time bonus, its id
 * fixed by task and resident: the lock that keeps claims from two offline peers to one task;
 * the ledger key of the bonus keeps its payment to one). Each validates first and throws
 * OperatorActionError with nothing written.
 */
import type { DocHandle } from "@automerge/automerge-repo/slim"
import type { BountiesDoc, OneTimeTask, Task } from "../../../schemas/index.ts"
import { OperatorActionError, openDoc, parseInput, type OperatorContext } from "../../workspace/actionContext.ts"
import { readOneTimeTasks } from "../../workspace/documentReaders.ts"
import type { Workspace } from "../../workspace/workspace.ts"
import { storedValue } from "../../workspace/storedValue.ts"
import { residents } from "../residents/actions.ts"
import { ledgerKeys } from "../wallets/economy.ts"
import { ledgerHas } from "../wallets/segments.ts"
import { openWallets } from "../wallets/actions.ts"
import { ClaimInput, OneTimeInput } from "./inputs.ts"
import { claimRefusal, claimTaskId } from "./rules.ts"

async function catalogue(workspace: Workspace): Promise<DocHandle<BountiesDoc>> {
  return openDoc<BountiesDoc>(workspace, workspace.root.docs.bounties)
}

export interface ListedOneTime extends OneTimeTask {
  /** Residents it was paid to. */
  done: string[]
  /** Residents with a claim not yet paid. */
  claimed: string[]
}

/** The catalogue with who did each task and who claimed it. */
export async function oneTimeTasksOf(workspace: Workspace): Promise<ListedOneTime[]> {
  const handle = await catalogue(workspace)
  const tasks = [...readOneTimeTasks(handle.doc(), `bounties ${handle.url}`, []).values()]
  const ledger = await openWallets(workspace)
  const known = [...(await residents(workspace)).keys()]
  return tasks
    .sort((a, b) => a.createdAt - b.createdAt)
    .map(t => {
      const done = known.filter(r => ledgerHas(ledger, ledgerKeys.bonus(t.id, r)))
      const claimed = known.filter(r => !done.includes(r) && !!workspace.tasks.get(claimTaskId(t.id, r)))
      return { ...t, done, claimed }
    })
}

export async function addOneTimeTask(ctx: OperatorContext, input: OneTimeInput): Promise<OneTimeTask> {
  const parsed = parseInput(OneTimeInput, input)
  const handle = await catalogue(ctx.workspace)
  if (handle.doc().onetime?.[parsed.id]) throw new OperatorActionError("onetime_exists", { id: parsed.id })
  const task: OneTimeTask = { ...parsed, createdBy: ctx.actor.name, createdAt: ctx.now ?? Date.now() }
  handle.change(d => {
    d.onetime ??= {}
    d.onetime[task.id] = { ...task, prompt: storedValue(task.prompt), eligible: [...task.eligible] }
  })
  await ctx.audit.append("social", task.id, { action: "onetime_added", bonusTokens: task.bonusTokens })
  return task
}

async function oneTime(ctx: OperatorContext, id: string): Promise<[DocHandle<BountiesDoc>, OneTimeTask]> {
  const handle = await catalogue(ctx.workspace)
  const found = readOneTimeTasks(handle.doc(), `bounties ${handle.url}`, []).get(id)
  if (!found) throw new OperatorActionError("not_found", { thing: "one-time task", id })
  return [handle, found]
}

/** No new claims from now on; claims made before still pay. */
export async function retireOneTimeTask(ctx: OperatorContext, id: string): Promise<void> {
  const [handle] = await oneTime(ctx, id)
  handle.change(d => {
    d.onetime![id]!.retired = true
  })
  await ctx.audit.append("social", id, { action: "onetime_retired" })
}

/** Queues the one-time task for `resident`, with its bonus; refused when the resident may not claim it. */
export async function claimOneTimeTask(ctx: OperatorContext, id: string, input: { resident: string }): Promise<Task> {
  const { resident } = parseInput(ClaimInput, input)
  const [, task] = await oneTime(ctx, id)
  if (!(await residents(ctx.workspace)).has(resident)) throw new OperatorActionError("not_found", { thing: "resident", id: resident })
  const taskId = claimTaskId(id, resident)
  const paid = ledgerHas(await openWallets(ctx.workspace), ledgerKeys.bonus(id, resident))
  const why = claimRefusal(task, resident, { paid, claimed: !!ctx.workspace.tasks.get(taskId) })
  if (why) throw new OperatorActionError("onetime_refused", { id, resident, why })
  const added = ctx.workspace.addTask(
    { title: task.title, prompt: task.prompt, mode: "llm", targetIdentity: resident, bonus: { id, tokens: task.bonusTokens } },
    ctx.actor,
    ctx.now ?? Date.now(),
    taskId,
  )
  await ctx.audit.append("task_added", added.id, { title: added.title, mode: added.mode, onetime: id, resident })
  return added
}
