/**
 * What operators do with the collaboration request, signed into their audit log: read the
 * active one and the finished ones, set a new one (it replaces the active one and queues its
 * suggestion task for any resident to take) and mark the active one done. Each validates
 * first and throws OperatorActionError with nothing written.
 */
import type { CollabRequest, Task } from "../../../schemas/index.ts"
import { newId } from "../../core/ids.ts"
import { OperatorActionError, parseInput, type OperatorContext } from "../../workspace/actionContext.ts"
import { readCollabRequests } from "../../workspace/documentReaders.ts"
import { storedValue } from "../../workspace/storedValue.ts"
import type { Workspace } from "../../workspace/workspace.ts"
import { openMailbox } from "../mailbox/actions.ts"
import { CollabRequestInput } from "./inputs.ts"
import { activeRequest, finishedRequests, suggestionBudget, suggestionPrompt, suggestionTaskId, type FinishedRequest } from "./rules.ts"

export interface CollabRequests {
  active?: CollabRequest
  finished: FinishedRequest[]
}

/** The active collaboration request and the finished ones, newest first. */
export async function collabRequestsOf(workspace: Workspace): Promise<CollabRequests> {
  const handle = await openMailbox(workspace)
  const all = [...readCollabRequests(handle.doc(), `mailbox ${handle.url}`, []).values()]
  const active = activeRequest(all)
  return { ...(active ? { active } : {}), finished: finishedRequests(all) }
}

export interface SetRequest {
  request: CollabRequest
  task: Task
  /** The request it replaced, if one was active. */
  replaced?: string
}

/** Sets the collaboration request (replacing the active one, if any) and queues its suggestion task. */
export async function setCollabRequest(ctx: OperatorContext, input: CollabRequestInput): Promise<SetRequest> {
  const { text } = parseInput(CollabRequestInput, input)
  const handle = await openMailbox(ctx.workspace)
  const now = ctx.now ?? Date.now()
  const previous = activeRequest(readCollabRequests(handle.doc(), `mailbox ${handle.url}`, []).values())
  const id = newId("request", now)
  const request: CollabRequest = { id, text, by: ctx.actor.name, at: now, taskId: suggestionTaskId(id) }
  const task = ctx.workspace.addTask(
    { title: `Collaboration request: ${text.length > 120 ? `${text.slice(0, 119)}…` : text}`, prompt: suggestionPrompt(text, ctx.actor.name), mode: "llm", ...suggestionBudget(ctx.workspace.root.controls) },
    ctx.actor,
    now,
    request.taskId,
  )
  // Only the new request is written: the one it replaces is replaced by being older.
  handle.change(d => {
    d.requests ??= {}
    d.requests[id] = { ...request, text: storedValue(text) }
  })
  await ctx.audit.append("social", id, { action: "collab_request_set", taskId: task.id, ...(previous ? { replaced: previous.id } : {}) })
  return { request, task, ...(previous ? { replaced: previous.id } : {}) }
}

/** Marks the active collaboration request done. */
export async function finishCollabRequest(ctx: OperatorContext): Promise<FinishedRequest> {
  const handle = await openMailbox(ctx.workspace)
  const active = activeRequest(readCollabRequests(handle.doc(), `mailbox ${handle.url}`, []).values())
  if (!active) throw new OperatorActionError("no_collab_request")
  const closed = { by: ctx.actor.name, at: ctx.now ?? Date.now() }
  handle.change(d => {
    d.requests![active.id]!.closed = closed
  })
  await ctx.audit.append("social", active.id, { action: "collab_request_done" })
  return finishedRequests([{ ...active, closed }])[0]!
}
