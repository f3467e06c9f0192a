/**
 * A peer's view of one workspace: the root document and the live queue, validated as
 * they are read. Used alike by the CLI, workers, the relay and (later) the PWA; the
 * transport and storage are the caller's choice of Repo.
 */
import type { AutomergeUrl, DocHandle, Repo } from "@automerge/automerge-repo/slim"
import { Task, Usd, type Actor, type RunRef, type QueueDoc, type RootDoc, type TaskStatus, type WorkspaceAuthority } from "../../schemas/index.ts"
import { authorityFingerprint, buildAuthorityChain, type AuthorityChain } from "../core/authorityChain.ts"
import { countByStatus } from "../core/dashboard.ts"
import { asPendingReview, checkTaskDecision, knownCheck, verifyCheck } from "../core/recordAuthority.ts"
import { spendAgainstCap, type SpendCap } from "../domain/tasks/spend.ts"
import { resolveTask, staleRunReason } from "../domain/tasks/taskMerge.ts"
import { NewTaskInput } from "../domain/tasks/inputs.ts"
import { buildTask, newTaskId } from "../domain/tasks/taskFactory.ts"
import { storedTask } from "../domain/tasks/storedValues.ts"
import { assertDocumentKind, InvalidDocumentError, readRoot, type DataIssue } from "../core/validate.ts"
import { ValidatedRecord } from "./validatedRecord.ts"
import { findDocument } from "./sync.ts"

export class TaskNotFoundError extends Error {
  override readonly name = "TaskNotFoundError"
  constructor(readonly taskId: string) {
    super(`no task ${taskId} in the live queue (see 'vivarium task list')`)
  }
}

/**
 * Where a reader keeps the authority anchors it saw first (Node peers: next to their
 * identity; the PWA: IndexedDB). `pin` returns the pinned anchors, pinning `seen` if none
 * are pinned yet for this workspace.
 */
export interface AnchorPins {
  pin(workspaceId: string, seen: WorkspaceAuthority | undefined): Promise<WorkspaceAuthority | undefined>
}

export interface OpenWorkspaceOptions {
  anchors?: AnchorPins
}

export class Workspace {
  /**
   * The live tasks as this reader accepts them: a task whose operator decision is not
   * signed by a key the chain of authority allows reads as pending_review (and is reported).
   */
  readonly tasks: ValidatedRecord<typeof Task>
  #rootCache: { heads: string; root: RootDoc; issues: DataIssue[] }
  #chain: AuthorityChain
  #pinned: WorkspaceAuthority | undefined
  readonly #anchors: AnchorPins | undefined
  /** Decision signatures being checked, and the tasks to read again once they are. */
  readonly #inflight = new Set<Promise<unknown>>()
  readonly #verified = new Set<string>()
  #rebuild?: Promise<void>
  #queueHandle: DocHandle<QueueDoc>
  /** The queue generation being opened after the root named a new one. */
  #following?: string

  private constructor(
    readonly repo: Repo,
    readonly rootHandle: DocHandle<RootDoc>,
    queueHandle: DocHandle<QueueDoc>,
    root: { heads: string; root: RootDoc; issues: DataIssue[] },
    chain: AuthorityChain,
    pinned: WorkspaceAuthority | undefined,
    anchors: AnchorPins | undefined,
  ) {
    this.#rootCache = root
    this.#chain = chain
    this.#pinned = pinned
    this.#anchors = anchors
    this.#queueHandle = queueHandle
    this.tasks = new ValidatedRecord(queueHandle as DocHandle<unknown>, Task, "tasks", `queue ${queueHandle.url}`, {
      idField: "id",
      resolve: raw => {
        const { task, flags } = resolveTask(raw)
        return { entry: task, flags }
      },
      refine: (key, task, issues) => this.#acceptedTask(key, task, issues),
    })
    rootHandle.on("change", this.#onRootChange)
  }

  static async open(repo: Repo, rootUrl: AutomergeUrl, opts: OpenWorkspaceOptions = {}): Promise<Workspace> {
    const rootHandle = await findDocument<RootDoc>(repo, rootUrl)
    const label = `root ${rootUrl}`
    const heads = rootHandle.heads().join(",")
    const issues: DataIssue[] = []
    const root = readRoot(rootHandle.doc(), label, issues)
    const pinned = await opts.anchors?.pin(root.workspaceId, root.authority)
    const chain = await buildAuthorityChain(root, pinned, label)
    const queueHandle = await findDocument<QueueDoc>(repo, root.docs.queue as AutomergeUrl)
    assertDocumentKind("queue", queueHandle.doc(), `queue ${queueHandle.url}`)
    const ws = new Workspace(repo, rootHandle, queueHandle, { heads, root, issues }, chain, pinned, opts.anchors)
    await ws.verified()
    return ws
  }

  /** Who may sign what, as of the current root (rebuilt when the peers' signed records change). */
  get authority(): AuthorityChain {
    return this.#chain
  }

  /** Resolves once every signature read so far is checked and the views show the outcome. */
  async verified(): Promise<void> {
    while (this.#inflight.size || this.#verified.size || this.#rebuild) {
      await Promise.all([...this.#inflight, this.#rebuild])
      this.#rereadVerified()
    }
  }

  #acceptedTask(key: string, task: Task, issues: DataIssue[]): Task {
    const check = checkTaskDecision(task, this.#chain)
    if (!check) return task
    const known = knownCheck(check)
    if (known) return task
    if (known === false) {
      const reason = check.ok ? `the signature of ${task.review?.decidedBy} does not match the decision` : check.reason
      issues.push({ doc: this.tasks?.docLabel ?? "queue", path: `tasks.${key}.review`, message: `shown as pending_review: ${reason}` })
      return asPendingReview(task)
    }
    const run = verifyCheck(check).then(() => {
      this.#inflight.delete(run)
      this.#verified.add(key)
      queueMicrotask(() => this.#rereadVerified())
    })
    this.#inflight.add(run)
    return asPendingReview(task)
  }

  #rereadVerified(): void {
    if (!this.#verified.size) return
    const keys = [...this.#verified]
    this.#verified.clear()
    this.tasks.revalidate(keys)
  }

  /** The live queue: the generation the root names (it changes when the relay starts a new one). */
  get queueHandle(): DocHandle<QueueDoc> {
    return this.#queueHandle
  }

  /**
   * Moves to the queue generation the root names once it is loaded. A change written to the
   * previous one meanwhile is not lost: the relay carries it forward.
   */
  #followQueue(url: string): void {
    if (url === this.#queueHandle.url || url === this.#following) return
    this.#following = url
    this.repo
      .find<QueueDoc>(url as AutomergeUrl)
      .then(handle => {
        if (this.#following !== url || this.root.docs.queue !== url) return
        assertDocumentKind("queue", handle.doc(), `queue ${handle.url}`)
        this.#queueHandle = handle
        this.tasks.follow(handle as DocHandle<unknown>, `queue ${handle.url}`)
      })
      .catch(() => {})
      .finally(() => {
        if (this.#following === url) this.#following = undefined
      })
  }

  /** Follows the queue the root names and rebuilds the chain when the records it depends on change; never throws (a change handler). */
  readonly #onRootChange = () => {
    this.#followQueue(this.root.docs.queue)
    if (this.#rebuild) return
    const root = this.root
    if (authorityFingerprint(root, this.#pinned) === this.#chain.fingerprint) return
    const label = `root ${this.rootHandle.url}`
    this.#rebuild = (async () => {
      if (!this.#pinned && root.authority) this.#pinned = await this.#anchors?.pin(root.workspaceId, root.authority)
      this.#chain = await buildAuthorityChain(root, this.#pinned, label)
      this.tasks.revalidate("all")
    })()
      .catch(() => {})
      .finally(() => {
        this.#rebuild = undefined
        // The root may have moved on while the chain was built.
        this.#onRootChange()
      })
  }

  /** The validated root document (recomputed only when its heads move). */
  get root(): RootDoc {
    return this.#readRootCached().root
  }

  /** Every problem found in the documents this view reads, with document and path. */
  get issues(): DataIssue[] {
    return [...this.#readRootCached().issues, ...this.#chain.issues, ...this.tasks.issues]
  }

  /**
   * The root as last read. A root that cannot be read at all (wrong kind, no document URLs)
   * keeps the last good one in force, reported as an issue, so no reader of it throws.
   */
  #readRootCached(): { root: RootDoc; issues: DataIssue[] } {
    const heads = this.rootHandle.heads().join(",")
    if (this.#rootCache.heads !== heads) {
      const issues: DataIssue[] = []
      const label = `root ${this.rootHandle.url}`
      try {
        this.#rootCache = { heads, root: readRoot(this.rootHandle.doc(), label, issues), issues }
      } catch (error) {
        const fatal = error instanceof InvalidDocumentError ? error.issues : [{ doc: label, path: "", message: (error as Error).message }]
        this.#rootCache = { heads, root: this.#rootCache.root, issues: [...fatal, { doc: label, path: "", message: "showing the last valid root" }] }
      }
    }
    return this.#rootCache
  }

  addTask(input: NewTaskInput, by: Actor, now = Date.now(), id = newTaskId(now)): Task {
    const parsed = NewTaskInput.parse(input)
    const task = buildTask(parsed, this.root.controls, by, now, id)
    this.queueHandle.change(d => {
      d.tasks[task.id] = storedTask(task)
    })
    return task
  }

  /**
   * Changes one task inside a queue change. `mutate` sees the live draft and should
   * use applyTransition for status moves; it throws (and nothing is written) on refusal.
   * `added` are new tasks written in the same change (a plan's subtasks); one whose id the
   * queue holds already is left as it is.
   */
  updateTask(id: string, mutate: (draft: Task, current: Task) => void, added: readonly Task[] = []): void {
    const current = this.tasks.get(id)
    if (!current) throw new TaskNotFoundError(id)
    // Automerge discards a change whose callback throws, so a refusal writes nothing.
    this.queueHandle.change(d => {
      const draft = d.tasks[id]
      if (!draft) return
      // After a merge the stored status may not be the resolved one every reader shows.
      if (draft.status !== current.status) draft.status = current.status
      mutate(draft, current)
      for (const task of added) if (!d.tasks[task.id]) d.tasks[task.id] = storedTask(task)
    })
  }

  /** Spend of the tasks the relay moved to archives (0 when unreadable: see the queue's issues). */
  get archivedSpendUsd(): number {
    return Usd.safeParse(this.queueHandle.doc().archivedSpendUsd).data ?? 0
  }

  /** Spend so far (live tasks and archived spend) against the cap (src/domain/tasks/spend.ts). */
  spendAgainstCap(): SpendCap {
    return spendAgainstCap(this.tasks.entries.values(), this.archivedSpendUsd, this.root.controls.spendCapUsd)
  }

  /** Why a side effect made in `run` does not count here (src/domain/tasks/taskMerge.ts), or undefined. */
  staleRunReason(run: RunRef | undefined): string | undefined {
    return staleRunReason(run, id => this.tasks.get(id))
  }

  countByStatus(): Record<TaskStatus, number> {
    return countByStatus(this.tasks.entries.values())
  }

  close(): void {
    this.rootHandle.off("change", this.#onRootChange)
    this.tasks.close()
  }
}
