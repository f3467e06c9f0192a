/**
 * Why tasks wait, and the state of the work behind each quest, for every view: one wait rule
 * (src/domain/tasks/waitReason.ts) over the workspace store's snapshots, with residents named
 * from the identities document (opened once, here).
 */
import { defineStore } from "pinia"
import { computed } from "vue"
import type { QuestDoc, Task } from "../../../schemas/index.ts"
import { questWork, type QuestWork } from "../../domain/quests/index.ts"
import { spendAgainstCap, waitReasons, type WaitReasons } from "../../domain/tasks/index.ts"
import { readIdentities } from "../../workspace/documentReaders.ts"
import { useDocument } from "../composables/useDocument.ts"
import { useWorkspaceStore } from "./workspace.ts"

export const useWaitsStore = defineStore("waits", () => {
  const workspace = useWorkspaceStore()
  const identities = useDocument("identities", computed(() => workspace.root?.docs.identities), readIdentities)
  const spend = computed(() => (workspace.root ? spendAgainstCap(workspace.tasks.values(), workspace.archivedSpendUsd, workspace.root.controls.spendCapUsd) : undefined))
  /** Quest id → the live tasks made for it (read once per queue change, not per quest). */
  const byQuest = computed(() => {
    const map = new Map<string, Task[]>()
    for (const t of workspace.tasks.values()) {
      if (t.link?.kind !== "quest") continue
      const list = map.get(t.link.id)
      if (list) list.push(t)
      else map.set(t.link.id, [t])
    }
    return map
  })

  /** Why a task waits, now (re-read as the clock ticks: backoffs and silent workers are about time). */
  const why = computed<WaitReasons>(() => {
    const root = workspace.root
    if (!root || !spend.value) return () => undefined
    const names = identities.value.value
    return waitReasons({ root, tasks: workspace.tasks, spend: spend.value, now: workspace.now, residentName: id => names?.get(id)?.name })
  })

  /** The quest's tasks by state and why the waiting ones wait. */
  function workOf(quest: Pick<QuestDoc, "id" | "taskId">): QuestWork {
    const current = quest.taskId ? workspace.tasks.get(quest.taskId) : undefined
    const linked = byQuest.value.get(quest.id) ?? []
    return questWork(quest, current && !linked.includes(current) ? [...linked, current] : linked, why.value)
  }

  return { why, workOf }
})
