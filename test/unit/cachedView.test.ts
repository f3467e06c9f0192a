/**
 * The PWA's kept view (src/app/session/cachedView.ts): what it keeps always reads back, and a
 * stored value that is damaged, oversized, foreign or from another workspace is ignored
 * (undefined), never thrown and never painted.
 */
import { describe, expect, it } from "vitest"
import type { Actor, PeerRecord, Task } from "../../schemas/index.ts"
import { DAY_MS } from "../../src/core/dashboard.ts"
import { defaultControls } from "../../src/core/defaults.ts"
import { buildTask } from "../../src/domain/tasks/taskFactory.ts"
import { cachedViewOf, parseCachedView, type CachedView } from "../../src/app/session/cachedView.ts"
import { fixtureRoot } from "../helpers/workspaceFixtures.ts"

const NOW = 1_800_000_000_000
const ALICE: Actor = { kind: "operator", name: "alice" }
const WORKSPACE = "ws-cached-view-1"

function task(id: string, over: Partial<Task> = {}): Task {
  return { ...buildTask({ command: "ls" }, defaultControls("x", 0), ALICE, NOW - DAY_MS, id), ...over }
}
const worker: PeerRecord = { name: "w1", role: "worker", publicKey: "a".repeat(64), state: "approved", registeredAt: 0, auditUrl: "automerge:abc", lastSeen: NOW - 1_000 }

function kept(controls: Parameters<typeof fixtureRoot>[1] = {}): CachedView {
  const root = fixtureRoot([worker], controls)
  return cachedViewOf({ workspaceId: WORKSPACE, root, tasks: [task("t1"), task("t2", { status: "failed" })], now: NOW, issueCount: 0, operatorName: "alice" })
}

describe("the kept view", () => {
  it("reads back what it keeps: the shell's header and the dashboard's figures and charts", () => {
    const view = kept({ killSwitch: { on: true, reason: "smoke in the lab", setBy: "alice", setAt: NOW - 5 } })
    const read = parseCachedView(structuredClone(view), WORKSPACE)
    expect(read).toEqual(view)
    expect(read?.killSwitch).toMatchObject({ on: true, reason: "smoke in the lab" })
    expect(read?.figures.counts).toMatchObject({ queued: 1, failed: 1, approved: 0 })
    expect(read?.figures.health.level).toBe("critical")
    expect(read?.series.depth).toHaveLength(24)
  })

  it("reads back a spend past a zero cap (an infinite fraction)", () => {
    const root = fixtureRoot([worker], { spendCapUsd: 0 })
    const spent = task("t1", {
      status: "approved",
      result: { output: "", model: "llama-3.1-8b-instant", costUsd: 0.5, leaseId: "l", worker: "w1", startedAt: NOW, finishedAt: NOW },
    })
    const view = cachedViewOf({ workspaceId: WORKSPACE, root, tasks: [spent], now: NOW, issueCount: 0 })
    expect(view.figures.spend.fraction).toBe(Infinity)
    expect(parseCachedView(structuredClone(view), WORKSPACE)).toEqual(view)
  })

  it("ignores nothing stored, garbage, and a damaged or oversized view", () => {
    const view = kept()
    for (const stored of [
      undefined,
      null,
      "a string",
      42,
      [],
      {},
      { ...view, version: 2 },
      { ...view, figures: { ...view.figures, counts: { ...view.figures.counts, queued: -1 } } },
      { ...view, figures: { ...view.figures, counts: { ...view.figures.counts, queued: "7" } } },
      { ...view, killSwitch: { ...view.killSwitch, on: "yes" } },
      { ...view, workspaceName: "x".repeat(10_000) },
      { ...view, series: { ...view.series, depth: Array.from({ length: 10_000 }, () => 1) } },
      { ...view, figures: { ...view.figures, health: { level: "ok", reasons: Array.from({ length: 1_000 }, () => ({ level: "watch", text: "x" })) } } },
      // Nothing it does not know: a stored secret or link would not be painted, nor kept by reading.
      { ...view, joinSecret: "s3cret" },
    ]) {
      expect(() => parseCachedView(stored, WORKSPACE)).not.toThrow()
      expect(parseCachedView(stored, WORKSPACE)).toBeUndefined()
    }
  })

  it("ignores another workspace's view", () => {
    expect(parseCachedView(kept(), "ws-someone-else")).toBeUndefined()
  })
})
