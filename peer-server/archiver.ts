/**
 * Moves finished tasks out of the live queue into monthly archive documents, so that a
 * workspace with 100,000 finished tasks still opens fast. Copy first, delete second:
 * a crash in between leaves a task in both places (harmless, keyed by id), never in none.
 * The queue's `archivedSpendUsd` grows in the same change that removes the tasks, so the
 * spend against the cap never loses or double-counts a moved task.
 */
import type { AutomergeUrl, Repo } from "@automerge/automerge-repo"
import { SCHEMA_VERSION, type ArchiveDoc, type RootDoc, type Task } from "../schemas/index.ts"
import { planArchive, storedTask, totalSpend } from "../src/domain/tasks/index.ts"
import type { Workspace } from "../src/workspace/workspace.ts"
import { DEFAULT_ARCHIVE_AFTER_MS } from "../src/core/defaults.ts"
import type { RelayExtension } from "./extension.ts"

/** Returns the tasks it moved. */
export async function archiveFinishedTasks(repo: Repo, ws: Workspace, now: number, afterMs: number): Promise<Task[]> {
  const plan = planArchive(ws.tasks.entries.values(), now, afterMs)
  const moved: Task[] = []
  for (const [period, tasks] of plan) {
    let url = ws.root.docs.archives[period] as AutomergeUrl | undefined
    if (!url) {
      url = repo.create<ArchiveDoc>({ schemaVersion: SCHEMA_VERSION, kind: "archive", period, tasks: {} }).url
      const created = url
      ws.rootHandle.change((d: RootDoc) => {
        d.docs.archives[period] = created
      })
    }
    const archive = await repo.find<ArchiveDoc>(url)
    archive.change(d => {
      for (const task of tasks) d.tasks[task.id] = storedTask(task)
    })
    ws.queueHandle.change(d => {
      for (const task of tasks) delete d.tasks[task.id]
      d.archivedSpendUsd = (d.archivedSpendUsd ?? 0) + totalSpend(tasks)
    })
    moved.push(...tasks)
  }
  return moved
}

/** Archiving as a relay extension: looks for finished tasks every `intervalMs` (default a minute). */
export function archiver(opts: { afterMs?: number; intervalMs?: number } = {}): RelayExtension {
  let timer: NodeJS.Timeout | undefined
  return {
    name: "archiver",
    onStart(ctx) {
      const afterMs = opts.afterMs ?? DEFAULT_ARCHIVE_AFTER_MS
      timer = setInterval(() => {
        archiveFinishedTasks(ctx.repo, ctx.workspace, Date.now(), afterMs).then(
          moved => {
            if (moved.length) ctx.log(`archived ${moved.length} finished tasks`)
          },
          error => ctx.log(`archiving failed (will retry): ${(error as Error).message}`),
        )
      }, opts.intervalMs ?? 60_000)
      timer.unref()
    },
    onStop: () => clearInterval(timer),
  }
}
