/**
 * The dashboard's Insights card in a real browser against a real relay: the last day from the
 * live queue, and a longer range that reads the monthly archive it touches, with why tasks
 * failed, spend per model and per resident, skill reuse and review latency.
 */
import type { Browser } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import type { Actor, LlmCall, Task, TaskEvent, TaskStatus } from "../../schemas/index.ts"
import { archiveFinishedTasks } from "../../peer-server/archiver.ts"
import { DAY_MS } from "../../src/core/dashboard.ts"
import { forgeIdentity } from "../../src/domain/residents/index.ts"
import { addTask, decideTask, storedTask } from "../../src/domain/tasks/index.ts"
import { join } from "node:path"
import { joinAsOperator, launchBrowser, openDevice, SCREENSHOT_DIR, screenshotFromTop, screenshotsOnFailure } from "../helpers/browser.ts"
import { simulateRun } from "../helpers/panelFixture.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { approvedIdentity, startTestRelay } from "../helpers/relay.ts"
import { peerOperator } from "../helpers/socialFixture.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { fixtureTask } from "../helpers/workspaceFixtures.ts"

const teardown = useTeardown()
const suite = useTeardown("all")
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser(suite)
})

const MIN = 60_000
const W: Actor = { kind: "worker", name: "w1" }
const ev = (to: TaskStatus, at: number, from: TaskStatus, by: Actor = W): TaskEvent => ({ at, from, to, by })
const call = (at: number, model: string, costUsd: number): LlmCall => ({ at, model, costUsd, promptTokens: 100, completionTokens: 50, ok: true, leaseId: "l", worker: "w1" })

/** A task its worker failed at `at` (no review). */
function failedRun(id: string, at: number, lastError: string, over: Partial<Task> = {}): Task {
  return { ...fixtureTask(id), createdAt: at - MIN, status: "failed", updatedAt: at, lastError, history: [ev("running", at - MIN, "claimed"), ev("failed", at, "running")], ...over }
}

describe("insights on the dashboard", { timeout: 120_000 }, () => {
  it("shows the last day from the live queue and a month from the archives, each figure from the tasks", async () => {
    const relay = await startTestRelay(teardown)
    const now = Date.now()
    const old = now - 12 * DAY_MS
    const past = [
      failedRun("old-1", old, "the sandbox ran out of time", { calls: [call(old - MIN, "llama-3.3-70b-versatile", 0.5)] }),
      failedRun("old-2", old + 60 * MIN, "the sandbox ran out of time"),
    ]
    relay.workspace.queueHandle.change(d => {
      for (const t of past) d.tasks[t.id] = storedTask(t)
    })
    await waitFor(() => relay.workspace.tasks.entries.size === 2, { events: [[relay.workspace.tasks, "change"]], message: "the old tasks in the relay's index" })
    // The old ones move to their month's archive, as the relay's archiver moves them.
    const moved = await archiveFinishedTasks(relay.repo, relay.workspace, now, 5 * DAY_MS)
    expect(moved.map(t => t.id).sort()).toEqual(["old-1", "old-2"])

    // Today: two tasks an operator adds for a resident no worker plays (the relay leases
    // neither); a worker's runs are written as it writes them, waiting for review since 10 and
    // 30 minutes; the operator approves one and fails the other, signed, through the gate.
    const node = await connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "operator") })
    const ctx = await peerOperator(node)
    const worker = (await approvedIdentity(relay, "worker", "greenhouse-pi")).name
    const mira = await forgeIdentity(ctx, { name: "Mira Vale", statement: "I listen to the bees.", traits: ["curious"], values: ["kindness"] })
    const ok = await addTask(ctx, { mode: "local", title: "Count the seedlings", command: "ls trays", targetIdentity: mira.id })
    const bad = await addTask(ctx, { mode: "local", title: "Read the rain gauge", command: "cat gauge", targetIdentity: mira.id })
    await node.flushToRelay()
    await waitFor(() => relay.workspace.tasks.get(bad.id)?.status === "queued", { events: [[relay.workspace.tasks, "change"]] })
    simulateRun(relay, ok.id, worker, "pending_review", {
      at: now - 10 * MIN - 4_300,
      extra: t => {
        t.route = { kind: "exact", skill: "summarise", confidence: 1 }
        t.calls = [call(now - 12 * MIN, "llama-3.1-8b-instant", 0.004)]
      },
    })
    simulateRun(relay, bad.id, worker, "pending_review", {
      at: now - 30 * MIN - 4_300,
      extra: t => {
        t.route = { kind: "none", confidence: 0 }
        t.calls = [call(now - 32 * MIN, "llama-3.3-70b-versatile", 0.03)]
      },
    })
    await waitFor(() => node.workspace.tasks.get(bad.id)?.status === "pending_review" && node.workspace.tasks.get(ok.id)?.status === "pending_review", {
      events: [[node.workspace.tasks, "change"]],
      message: "the simulated runs at the operator peer",
    })
    await decideTask(ctx, ok.id, "approve")
    await decideTask(ctx, bad.id, "fail", { reason: "model refused: content policy" })
    await node.flushToRelay()

    const ada = await openDevice(teardown, browser, "ada")
    await screenshotsOnFailure("insights", { ada: () => ada.page }, async () => {
      const page = ada.page
      await joinAsOperator(page, relay, "Ada Operator")
      const card = page.getByTestId("insights")
      await card.waitFor()
      // The last day: only the live queue's two tasks.
      await expect.poll(() => card.getByTestId("insights-failures").textContent()).toContain("model refused: content policy")
      expect(await card.getByTestId("insights-failures").textContent()).not.toContain("sandbox")
      expect(await card.getByTestId("insights-models").textContent()).toMatch(/llama-3\.3-70b-versatile.*\$0\.03.*1 calls/s)
      expect(await card.getByTestId("insights-reuse").textContent()).toContain("50% of 2 model runs followed a skill")
      expect(await card.getByTestId("insights-review-p50").textContent()).toBe("30 min")
      const shot = (name: string) => card.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), animations: "disabled" })
      await shot("insights-day")

      // Thirty days: the archive is read, and its failures and spend join the figures.
      await card.getByTestId("insights-range").selectOption("month")
      await expect.poll(() => card.getByTestId("insights-failures").textContent()).toContain("2× the sandbox ran out of time")
      expect(await card.getByTestId("insights-models").textContent()).toMatch(/llama-3\.3-70b-versatile.*\$0\.53.*2 calls/s)
      expect(await card.getByTestId("insights-throughput").locator("svg").getAttribute("aria-label")).toMatch(/last 30 days: total 4/)
      expect(await card.getAttribute("data-range")).toBe("month")
      await shot("insights-month")
      // The whole dashboard with the card, at desktop and phone size.
      await screenshotFromTop(page, "insights-dashboard")
    })
  })
})
