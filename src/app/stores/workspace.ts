/**
 * The app's one store: adapts a BrowserSession into reactive state. Automerge documents
 * are never made reactive; validated plain snapshots are swapped into shallow refs on
 * each change (see stack-notes), and every write goes through src/workspace/operatorActions.
 */
import { defineStore } from "pinia"
import { computed, ref, shallowRef, triggerRef } from "vue"
import type { RootDoc, Task } from "../../../schemas/index.ts"
import type { NewTaskInput } from "../../core/taskFactory.ts"
import type { DataIssue } from "../../core/validate.ts"
import * as actions from "../../workspace/operatorActions.ts"
import { openBrowserRepo } from "../session/browserRepo.ts"
import { BrowserSession, type OnlineOperator } from "../session/browserSession.ts"
import { forgetWorkspace, loadWorkspace, saveWorkspace } from "../session/localStore.ts"
import { joinSecretFromHash, lookUpWorkspace, type RememberedWorkspace } from "../session/workspaceLink.ts"

export type Phase = "loading" | "join" | "ready" | "error"
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
  const operator = ref<{ name: string; displayName: string }>()
  const onlineOperators = shallowRef<OnlineOperator[]>([])
  const notice = ref<Notice>()
  /** What this operator has open, told to the others once the session exists. */
  const viewing = ref("dashboard")
  /** A clock for "seen 5 s ago" and online windows, ticking once a second. */
  const now = ref(Date.now())

  const issues = computed(() => [...workspaceIssues.value, ...[...docIssues.value.values()].flat()])
  const taskList = computed(() => [...tasks.value.values()])

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
      operator.value = s.operator ? { name: s.operator.actor.name, displayName: s.operator.displayName } : undefined
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
    s.setViewing(viewing.value)
    if (s.operatorError) say("error", `your operator key cannot be used right now: ${s.operatorError}`)
    phase.value = "ready"
  }

  async function openLink(remembered: RememberedWorkspace): Promise<void> {
    link.value = remembered
    const repo = await openBrowserRepo(remembered)
    adopt(await BrowserSession.open(repo, remembered))
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

  function say(kind: Notice["kind"], text: string): void {
    notice.value = { kind, text, at: Date.now() }
  }

  /** Runs one operator action; a refusal becomes a visible notice, never a silent failure. */
  async function act<T>(done: string, fn: (ctx: actions.OperatorContext) => T | Promise<T>): Promise<T | undefined> {
    const s = session.value
    if (!s) return undefined
    try {
      const result = await fn(s.context())
      say("ok", done)
      return result
    } catch (error) {
      say("error", (error as Error).message)
      return undefined
    }
  }

  return {
    phase,
    fatal,
    session,
    link,
    root,
    tasks,
    archivedSpendUsd,
    taskList,
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
    async register(name: string, displayName?: string) {
      const s = session.value
      if (!s) return false
      try {
        await s.register(name, displayName)
        say("ok", `you are ${name}; your actions are signed with this browser's key`)
        return true
      } catch (error) {
        say("error", (error as Error).message)
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
    addTask: (input: NewTaskInput) => act("task added", ctx => actions.addTask(ctx, input)),
    editTask: (id: string, edit: actions.TaskEdit) => act("task saved", ctx => actions.editTask(ctx, id, edit)),
    decideTask: (id: string, decision: actions.TaskDecision, input?: actions.DecisionInput) =>
      act(`task ${actions.TASK_DECISIONS[decision]}`, ctx => actions.decideTask(ctx, id, decision, input)),
    setKillSwitch: (on: boolean, reason: string) => act(on ? "halted: workers stop" : "resumed", ctx => actions.setKillSwitch(ctx, on, reason)),
    decidePeer: (name: string, state: "approved" | "revoked") => act(`${name} ${state}`, ctx => actions.decidePeer(ctx, name, state)),
    updateControls: (edit: actions.ControlsEdit) => act("runtime settings saved", ctx => actions.updateControls(ctx, edit)),
  }
})
