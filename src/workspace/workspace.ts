/**
 * A peer's view of one workspace: the root document and the live queue, validated as
 * they are read. Used alike by the CLI, workers, the relay and (later) the PWA; the
 * transport and storage are the caller's choice of Repo.
 */
import type { AutomergeUrl, DocHandle, Repo } from "@automerge/automerge-repo/slim"
import { Task, Usd, type Actor, type RunRef, type QueueDoc, type RootDoc, type TaskStatus } from "../../schemas/index.ts"
import { countByStatus } from "../core/dashboard.ts"
import { spendAgainstCap, type SpendCap } from "../core/spend.ts"
import { resolveTask, staleRunReason } from "../core/taskMerge.ts"
import { buildTask, newTaskId, NewTaskInput } from "../core/taskFactory.ts"
import { assertDocumentKind, readRoot, type DataIssue } from "../core/validate.ts"
import { ValidatedRecord } from "./validatedRecord.ts"

export class TaskNotFoundError extends Error {
  override readonly name = "TaskNotFoundError"
  constructor(readonly taskId: string) {
    super(`no task ${taskId} in the live queue (see 'vivarium task list')`)
  }
}

export class Workspace {
  readonly tasks: ValidatedRecord<typeof Task>
  #rootCache?: { heads: string; root: RootDoc; issues: DataIssue[] }

  private constructor(
    readonly repo: Repo,
    readonly rootHandle: DocHandle<RootDoc>,
    readonly queueHandle: DocHandle<QueueDoc>,
  ) {
    this.tasks = new ValidatedRecord(queueHandle as DocHandle<unknown>, Task, "tasks", `queue ${queueHandle.url}`, {
      idField: "id",
      resolve: raw => {
        const { task, flags } = resolveTask(raw)
        return { entry: task, flags }
      },
    })
  }

  static async open(repo: Repo, rootUrl: AutomergeUrl): Promise<Workspace> {
    const rootHandle = await repo.find<RootDoc>(rootUrl)
    const root = readRoot(rootHandle.doc(), `root ${rootUrl}`, [])
    const queueHandle = await repo.find<QueueDoc>(root.docs.queue as AutomergeUrl)
    assertDocumentKind("queue", queueHandle.doc(), `queue ${queueHandle.url}`)
    return new Workspace(repo, rootHandle, queueHandle)
  }

  /** The validated root document (recomputed only when its heads move). */
  get root(): RootDoc {
    return this.#readRootCached().root
  }

  /** Every problem found in the documents this view reads, with document and path. */
  get issues(): DataIssue[] {
    return [...this.#readRootCached().issues, ...this.tasks.issues]
  }

  #readRootCached(): { root: RootDoc; issues: DataIssue[] } {
    const heads = this.rootHandle.heads().join(",")
    if (this.#rootCache?.heads !== heads) {
      const issues: DataIssue[] = []
      const root = readRoot(this.rootHandle.doc(), `root ${this.rootHandle.url}`, issues)
      this.#rootCache = { heads, root, issues }
    }
    return this.#rootCache
  }

  addTask(input: NewTaskInput, by: Actor, now = Date.now()): Task {
    const parsed = NewTaskInput.parse(input)
    const task = buildTask(parsed, this.root.controls, by, now, newTaskId(now))
    this.queueHandle.change(d => {
      d.tasks[task.id] = task
    })
    return task
  }

  /**
   * Changes one task inside a queue change. `mutate` sees the live draft and should
   * use applyTransition for status moves; it throws (and nothing is written) on refusal.
   */
  updateTask(id: string, mutate: (draft: Task, current: Task) => void): void {
    const current = this.tasks.get(id)
    if (!current) throw new TaskNotFoundError(id)
    // Automerge discards a change whose callback throws, so a refusal writes nothing.
    this.queueHandle.change(d => {
      const draft = d.tasks[id]
      if (!draft) return
      // After a merge the stored status may not be the resolved one every reader shows.
      if (draft.status !== current.status) draft.status = current.status
      mutate(draft, current)
    })
  }

  /** Spend of the tasks the relay moved to archives (0 when unreadable: see the queue's issues). */
  get archivedSpendUsd(): number {
    return Usd.safeParse(this.queueHandle.doc().archivedSpendUsd).data ?? 0
  }

  /** Spend so far (live tasks and archived spend) against the cap (src/core/spend.ts). */
  spendAgainstCap(): SpendCap {
    return spendAgainstCap(this.tasks.entries.values(), this.archivedSpendUsd, this.root.controls.spendCapUsd)
  }

  /** Why a side effect made in `run` does not count here (src/core/taskMerge.ts), or undefined. */
  staleRunReason(run: RunRef | undefined): string | undefined {
    return staleRunReason(run, id => this.tasks.get(id))
  }

  countByStatus(): Record<TaskStatus, number> {
    return countByStatus(this.tasks.entries.values())
  }

  close(): void {
    this.tasks.close()
  }
}
