/**
 * Live output of running tasks, as it arrives: the workers' ephemeral messages on the queue
 * document (never stored), checked against their schema, folded per task. Lines that arrive
 * while no view shows them are kept for the tasks that ran most recently.
 */
import { defineStore } from "pinia"
import { shallowRef, triggerRef, watch } from "vue"
import { TASK_OUTPUT_MARKER, TaskOutputEnvelope } from "../../../schemas/ephemeral.ts"
import { receiveOutput, type LiveRun } from "../../domain/tasks/index.ts"
import { useWorkspaceStore } from "./workspace.ts"

/** Tasks whose live lines are kept (the most recently heard from). */
const TASKS_KEPT = 20

export const useLiveOutputStore = defineStore("liveOutput", () => {
  const workspace = useWorkspaceStore()
  const runs = shallowRef(new Map<string, LiveRun>())
  let detach: (() => void) | undefined

  function receive(message: unknown): void {
    const parsed = TaskOutputEnvelope.safeParse(message)
    if (!parsed.success) return
    const batch = parsed.data[TASK_OUTPUT_MARKER]
    const map = runs.value
    const before = map.get(batch.taskId)
    const after = receiveOutput(before, batch, Date.now())
    if (after === before) return
    // Re-inserted last, so the first key is the task heard from longest ago.
    map.delete(batch.taskId)
    map.set(batch.taskId, after)
    if (map.size > TASKS_KEPT) map.delete(map.keys().next().value!)
    triggerRef(runs)
  }

  watch(
    () => workspace.session,
    session => {
      detach?.()
      detach = undefined
      runs.value = new Map()
      if (!session) return
      const queue = session.workspace.queueHandle
      const onMessage = ({ message }: { message: unknown }) => receive(message)
      queue.on("ephemeral-message", onMessage)
      detach = () => queue.off("ephemeral-message", onMessage)
    },
    { immediate: true },
  )

  return { runs }
})
