/**
 * The task actions that need a confirmation or offer an undo, for every view that has their
 * buttons (the queue, a task's page, the review cards):
 *
 * - cancel, fail and requeue (a rejected result) are final moves: asked first, then held for
 *   UNDO_MS before they are signed and written (stores/undo.ts);
 * - an edit is written at once and offers to put the previous values back while the task is
 *   still editable, through the same signed edit action.
 */
import type { Task } from "../../../schemas/index.ts"
import { editTask, revertingEdit, type DecisionInput, type TaskEdit } from "../../domain/tasks/index.ts"
import { useConfirmStore } from "../stores/confirm.ts"
import { useUndoStore } from "../stores/undo.ts"
import { useWorkspaceStore } from "../stores/workspace.ts"

export type FinalDecision = "cancel" | "fail" | "requeue"

const WORDS: Record<FinalDecision, { ask: string; body: string; button: string; done: string }> = {
  cancel: {
    ask: "Cancel the task",
    body: "A running worker stops it, and a cancelled task stays cancelled. You can undo for a few seconds, before it is written.",
    button: "Cancel task",
    done: "Task cancelled",
  },
  fail: {
    ask: "Fail the task",
    body: "Its result is rejected and the task ends as failed; it is not run again. You can undo for a few seconds, before it is written.",
    button: "Fail task",
    done: "Task failed",
  },
  requeue: {
    ask: "Reject the result and run the task again",
    body: "This result is set aside and the task goes back to the queue for a fresh run. You can undo for a few seconds, before it is written.",
    button: "Requeue",
    done: "Result rejected, task requeued",
  },
}

export function useTaskDecisions() {
  const store = useWorkspaceStore()
  const { confirm } = useConfirmStore()
  const undo = useUndoStore()

  /** Asks, then holds the decision; resolves whether it was confirmed. */
  async function decideFinally(task: Pick<Task, "id" | "title">, decision: FinalDecision, input?: DecisionInput): Promise<boolean> {
    const words = WORDS[decision]
    if (!(await confirm({ title: `${words.ask} “${task.title}”?`, body: words.body, confirm: words.button }))) return false
    undo.hold(heldKey(task.id, decision), `${words.done}: “${task.title}”`, () => store.decideTask(task.id, decision, input))
    return true
  }

  /** Whether a final decision on this task waits in its undo window. */
  const decisionHeld = (taskId: string) => (["cancel", "fail", "requeue"] as const).some(d => undo.isHeld(heldKey(taskId, d)))

  /** Saves an edit; on success offers to restore what it changed. Resolves whether it saved. */
  async function saveEdit(task: Task, edit: TaskEdit): Promise<boolean> {
    const saved = await store.act("task saved", async ctx => (await editTask(ctx, task.id, edit), true))
    if (!saved) return false
    const back = revertingEdit(task, edit)
    undo.offer(`edit:${task.id}`, `Task “${edit.title ?? task.title}” saved`, () => store.editTask(task.id, back))
    return true
  }

  return { decideFinally, decisionHeld, saveEdit }
}

const heldKey = (taskId: string, decision: FinalDecision) => `${decision}:${taskId}`
