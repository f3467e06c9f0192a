/**
 * The app's one store: adapts a BrowserSession into reactive state. Automerge documents
 * are never made reactive; validated plain snapshots are swapped into shallow refs on
 * each change (Automerge proxies are not Vue-reactive), and every write goes through the concepts' actions (src/domain/<concept>/actions.ts).
 */
import type { Repo } from "@automerge/automerge-repo/slim"
import { defineStore } from "pinia"
import { computed, ref, shallowRef, triggerRef } from "vue"
import type { RootDoc, Task } from "../../../schemas/index.ts"
import { asSentence, humanText } from "../../core/errors.ts"
import type { DataIssue } from "../../core/validate.ts"
import { addTask, decideTask, editTask, TASK_DECISIONS, type DecisionInput, type NewTaskInput, type TaskDecision, type TaskEdit } from "../../domain/tasks/index.ts"
import { cleanDisplayName, confirmPairing, decidePeer, displayNameOf, killSwitchReason, peerNameFor, peerSubject, setKillSwitch, updateControls, type ControlsEdit } from "../../domain/peers/index.ts"
import { pairingClaimer } from "../../peer/enrolClient.ts"
import type { OperatorContext } from "../../workspace/actionContext.ts"
import { openBrowserRepo } from "../session/browserRepo.ts"
import { approvalState, BrowserSession, enrolBrowserOperator, waitForApproval, type OnlineOperator } from "../session/browserSession.ts"
import { cachedViewOf, type CachedView } from "../session/cachedView.ts"
import { forgetWorkspace, loadCachedView, loadOperatorKey, loadQueuedHalt, loadWorkspace, saveCachedView, saveQueuedHalt, saveWorkspace, type QueuedHalt, type StoredOperatorKey } from "../session/localStore.ts"
import { joinSecretFromHash, lookUpWorkspace, type RememberedWorkspace } from "../session/workspaceLink.ts"
import { useOfflineStore } from "./offline.ts"
import { useRefusalsStore } from "./refusals.ts"

/** How long the kept view waits after the last change before it is written. */
const VIEW_SAVE_DELAY_MS = 1_000

/** Resolves after the next frame is painted (or soon, in a background tab that paints no frames). */
function nextPaint(): Promise<void> {
  return new Promise(resolve => {
    const fallback = setTimeout(resolve, 100)
    requestAnimationFrame(() => {
      clearTimeout(fallback)
      setTimeout(resolve)
    })
  })
}

/** Resolves after the next paint, once the main thread is idle (at most a second later). */
async function whenIdle(): Promise<void> {
  await nextPaint()
  await new Promise<void>(resolve => (typeof requestIdleCallback === "function" ? requestIdleCallback(() => resolve(), { timeout: 1_000 }) : setTimeout(resolve, 50)))
}

/** setup: this browser has no operator key yet; waiting: its key awaits the owner's approval. */
export type Phase = "loading" | "join" | "setup" | "waiting" | "ready" | "error"
export interface Notice {
  kind: "ok" | "error"
  text: string
  at: number
}

export const useWorkspaceStore = defineStore("workspace", () => {
  const phase = ref<Phase>("loading")
  const fatal = ref<string>()
  const session = shallowRef<BrowserSession>()
  const link = shallowRef<RememberedWorkspace>()
  const root = shallowRef<RootDoc>()
  const tasks = shallowRef<ReadonlyMap<string, Task>>(new Map())
  const archivedSpendUsd = ref(0)
  const workspaceIssues = shallowRef<DataIssue[]>([])
  const docIssues = shallowRef(new Map<string, DataIssue[]>())
  const connected = ref(false)
  const browserOnline = ref(typeof navigator === "undefined" ? true : navigator.onLine)
  const pendingChanges = ref(0)
  /** This browser's operator: its name keys its registration, which holds the name everyone sees. */
  const operatorName = ref<string>()
  /**
   * What this device showed last (cachedView.ts), painted while the live documents load;
   * dropped the moment they are open, so it is never shown as live.
   */
  const cachedView = shallowRef<CachedView>()
  /** A halt asked for before the documents were open, written the moment they are (never lost: kept in IndexedDB until then). */
  const queuedHalt = shallowRef<QueuedHalt>()
  let writingHalt = false
  const operator = computed(() => (operatorName.value ? { name: operatorName.value, displayName: displayNameOf(root.value, operatorName.value) } : cachedView.value?.operator))
  const onlineOperators = shallowRef<OnlineOperator[]>([])
  const notice = ref<Notice>()
  /** The operator name whose approval this browser waits for (phase "waiting"), and the name it gave. */
  const waitingFor = ref<string>()
  const waitingAs = ref<string>()
  /** Why enrolling this browser's key failed (shown on the setup screen). */
  const setupError = ref<string>()
  /** What this operator has open, told to the others once the session exists. */
  const viewing = ref("dashboard")
  /** A clock for "seen 5 s ago" and online windows, ticking once a second. */
  const now = ref(Date.now())

  const issues = computed(() => [...workspaceIssues.value, ...[...docIssues.value.values()].flat()])
  const taskList = computed(() => [...tasks.value.values()])
  const rootDocumentId = computed(() => session.value?.workspace.rootHandle.documentId)

  function adopt(s: BrowserSession): void {
    session.value = s
    const ws = s.workspace
    const readRoot = () => {
      root.value = ws.root
      workspaceIssues.value = ws.issues
    }
    const readStatus = () => {
      connected.value = s.connected
      pendingChanges.value = s.pendingChanges
      operatorName.value = s.operator?.actor.name
      onlineOperators.value = s.onlineOperators()
    }
    readRoot()
    tasks.value = ws.tasks.entries
    archivedSpendUsd.value = ws.archivedSpendUsd
    readStatus()
    ws.rootHandle.on("change", readRoot)
    ws.tasks.on("change", () => {
      workspaceIssues.value = ws.issues
      archivedSpendUsd.value = ws.archivedSpendUsd
      triggerRef(tasks)
    })
    s.on("status", readStatus)
    useOfflineStore().attach(s.offlineCopy)
    s.setViewing(viewing.value)
    if (s.operatorError) say("error", `your operator key cannot be used right now: ${s.operatorError}`)
    phase.value = "ready"
    cachedView.value = undefined
    keepView(s)
    void writeQueuedHalt(s)
    // Copying every document for offline use loads the big ones (a room, the ledger): not before
    // the live view is on screen and the page has a quiet moment.
    void whenIdle().then(() => s.offlineCopy.start())
  }

  /** Keeps what the shell and the dashboard show for the next start, a moment after it last changed. */
  function keepView(s: BrowserSession): void {
    let timer: ReturnType<typeof setTimeout> | undefined
    const save = () => {
      timer = undefined
      if (!root.value) return
      const view = cachedViewOf({
        workspaceId: s.link.workspaceId,
        root: root.value,
        tasks: taskList.value,
        now: Date.now(),
        issueCount: issues.value.length,
        archivedSpendUsd: archivedSpendUsd.value,
        operatorName: operatorName.value,
      })
      void saveCachedView(view).catch(() => undefined)
    }
    // Deriving the figures walks every task: in a quiet moment, never in the middle of a burst of changes.
    const schedule = () => (timer ??= setTimeout(() => void whenIdle().then(save), VIEW_SAVE_DELAY_MS))
    s.workspace.rootHandle.on("change", schedule)
    s.workspace.tasks.on("change", schedule)
    s.on("status", schedule)
    schedule()
  }

  /** Writes the halt queued before the documents opened; it stays queued (and shown) until it is written. */
  async function writeQueuedHalt(s: BrowserSession): Promise<void> {
    const halt = queuedHalt.value
    if (!halt || writingHalt) return
    writingHalt = true
    try {
      await writeHalt(s, halt)
    } finally {
      writingHalt = false
    }
  }

  async function writeHalt(s: BrowserSession, halt: QueuedHalt): Promise<void> {
    if (!s.operator) return say("error", `your halt is still queued: ${s.operatorError ?? "this browser's key cannot sign yet"}`)
    const current = root.value?.controls.killSwitch
    const written = current?.on
      ? (say("ok", `already halted by ${displayNameOf(root.value, current.setBy)}: your queued halt was not needed`), true)
      : await act("queued halt written: workers stop", async ctx => (await setKillSwitch(ctx, true, halt.reason), true))
    if (!written) return
    queuedHalt.value = undefined
    await saveQueuedHalt(s.link.workspaceId, undefined)
  }

  /**
   * Before the documents are open a halt is queued (checked as the action checks it), shown
   * as pending and kept in IndexedDB; resuming needs the open workspace.
   */
  async function queueHalt(on: boolean, reason: string): Promise<void> {
    const remembered = link.value
    if (!remembered) return
    if (!on) return say("error", "resuming needs the workspace open: wait until it has caught up")
    try {
      const halt = { reason: killSwitchReason(true, reason), at: Date.now() }
      queuedHalt.value = halt
      await saveQueuedHalt(remembered.workspaceId, halt)
      say("ok", "halt queued: it is written the moment the workspace opens")
      // The documents may have opened meanwhile.
      if (session.value) await writeQueuedHalt(session.value)
    } catch (error) {
      say("error", humanText(error))
    }
  }

  async function openLink(remembered: RememberedWorkspace): Promise<void> {
    link.value = remembered
    const [key, view, halt] = await Promise.all([loadOperatorKey(remembered.workspaceId), loadCachedView(remembered.workspaceId), loadQueuedHalt(remembered.workspaceId)])
    if (!key) {
      phase.value = "setup"
      return
    }
    queuedHalt.value = halt
    if (view) {
      cachedView.value = view
      // Paint the last view before the Automerge WASM and the documents take the main thread.
      await nextPaint()
    }
    await connect(remembered, key)
  }

  /** Connects as this browser's operator key; a pending key waits here until the owner decides. */
  async function connect(remembered: RememberedWorkspace, key: StoredOperatorKey, knownState?: "pending" | "approved" | "revoked"): Promise<void> {
    const { repo, notices, discardLocalCopy } = await openBrowserRepo(remembered, key)
    const refusals = useRefusalsStore()
    refusals.attach(discardLocalCopy)
    notices.on("refused", notice => {
      if (notice.retry) return say("error", `the relay could not take a change now: ${notice.reason} (this browser offers it again by itself)`)
      say("error", `the relay refused a change: ${notice.reason}`)
      refusals.record(notice)
    })
    notices.on("auth-failed", ({ reason }) => say("error", `the relay refused this browser's key: ${reason}`))
    // Offline (undefined), the key opens what IndexedDB holds.
    const state = knownState ?? (await approvalState(remembered, key))
    const decided = state === "pending" ? await waitUntilApproved(repo, remembered, key.name) : state
    if (decided === "revoked") {
      fatal.value = `this browser's operator ${key.name} was revoked in this workspace; ask the owner, or leave the workspace (Settings) and join again under another name`
      phase.value = "error"
      return
    }
    adopt(await BrowserSession.open(repo, remembered, key))
  }

  async function waitUntilApproved(repo: Repo, remembered: RememberedWorkspace, name: string) {
    waitingFor.value = name
    phase.value = "waiting"
    const decided = await waitForApproval(repo, remembered, name)
    waitingFor.value = undefined
    return decided
  }

  /** Starts the app: a join link in the URL wins, else the remembered workspace, else ask. */
  async function boot(): Promise<void> {
    setInterval(() => (now.value = Date.now()), 1_000)
    window.addEventListener("online", () => (browserOnline.value = true))
    window.addEventListener("offline", () => (browserOnline.value = false))
    try {
      const secret = joinSecretFromHash(location.hash)
      if (secret) {
        history.replaceState(null, "", location.pathname + location.search)
        await join(secret)
        return
      }
      const remembered = await loadWorkspace()
      if (remembered) await openLink(remembered)
      else phase.value = "join"
    } catch (error) {
      fatal.value = (error as Error).message
      phase.value = "error"
    }
  }

  async function join(secret: string): Promise<void> {
    const remembered = await lookUpWorkspace(location.origin, secret)
    const previous = await loadWorkspace()
    if (previous && previous.workspaceId !== remembered.workspaceId && session.value) location.reload()
    await saveWorkspace(remembered)
    if (!session.value) await openLink(remembered)
  }

  async function leave(): Promise<void> {
    await forgetWorkspace()
    location.assign("/")
  }

  /** A notice, written as a sentence ("task added" reads "Task added."). */
  function say(kind: Notice["kind"], text: string): void {
    notice.value = { kind, text: asSentence(text), at: Date.now() }
  }

  /**
   * Runs one operator action; a refusal becomes a visible notice, never a silent failure: its
   * plain sentence and what to do next (src/core/errors.ts).
   */
  async function act<T>(done: string, fn: (ctx: OperatorContext) => T | Promise<T>): Promise<T | undefined> {
    const s = session.value
    if (!s) return undefined
    try {
      const result = await fn(s.context())
      say("ok", done)
      return result
    } catch (error) {
      say("error", humanText(error))
      return undefined
    }
  }

  return {
    phase,
    fatal,
    session,
    link,
    root,
    rootDocumentId,
    tasks,
    archivedSpendUsd,
    taskList,
    cachedView,
    queuedHalt,
    issues,
    connected,
    browserOnline,
    pendingChanges,
    operator,
    onlineOperators,
    notice,
    now,
    boot,
    join,
    leave,
    say,
    act,
    waitingFor,
    waitingAs,
    setupError,
    /**
     * Enrols this browser's new operator key under the name the operator gave (spaces and all;
     * a slug of it keys the registration), then waits for approval.
     */
    async register(given: string) {
      const remembered = link.value
      const displayName = cleanDisplayName(given)
      if (!remembered || !displayName) return false
      setupError.value = undefined
      waitingAs.value = displayName
      let enrolled: Awaited<ReturnType<typeof enrolBrowserOperator>>
      try {
        enrolled = await enrolBrowserOperator(remembered, peerNameFor(displayName), displayName)
      } catch (error) {
        setupError.value = (error as Error).message
        return false
      }
      try {
        await connect(remembered, enrolled.key, enrolled.state)
        return true
      } catch (error) {
        fatal.value = (error as Error).message
        phase.value = "error"
        return false
      }
    },
    setDisplayName(name: string) {
      try {
        session.value?.setDisplayName(name)
        say("ok", "display name saved")
      } catch (error) {
        say("error", (error as Error).message)
      }
    },
    setViewing(what: string) {
      viewing.value = what
      session.value?.setViewing(what)
    },
    /** Views report issues of the documents they read, so the banner shows them all. */
    setDocIssues(key: string, list: DataIssue[]) {
      const current = docIssues.value.get(key) ?? []
      if (!current.length && !list.length) return
      const next = new Map(docIssues.value)
      if (list.length) next.set(key, list)
      else next.delete(key)
      docIssues.value = next
    },
    addTask: (input: NewTaskInput) => act("task added", ctx => addTask(ctx, input)),
    editTask: (id: string, edit: TaskEdit) => act("task saved", ctx => editTask(ctx, id, edit)),
    decideTask: (id: string, decision: TaskDecision, input?: DecisionInput) =>
      act(`task ${TASK_DECISIONS[decision]}`, ctx => decideTask(ctx, id, decision, input)),
    setKillSwitch: (on: boolean, reason: string) =>
      session.value ? act(on ? "halted: workers stop" : "resumed", ctx => setKillSwitch(ctx, on, reason)) : queueHalt(on, reason),
    decidePeer: (name: string, state: "approved" | "revoked") => act(`${peerSubject(root.value, name).text} ${state}`, ctx => decidePeer(ctx, name, state)),
    updateControls: (edit: ControlsEdit) => act("runtime settings saved", ctx => updateControls(ctx, edit)),
    /** Confirms a terminal's pairing code (`vivarium pair`) with this browser's key; answers the terminal's name. */
    pairTerminal: (code: string) =>
      act("terminal paired: it now acts as you", ctx => {
        const l = link.value!
        return confirmPairing(ctx, code, pairingClaimer(l.origin, l.token, l.workspaceId, { name: ctx.actor.name, key: ctx.audit.signer.key }))
      }),
  }
})
