/** Every task action an operator takes is signed into that operator's audit log. */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { verifyWorkspaceAudit } from "../../src/domain/audit/auditVerify.ts"
import { addTask, decideTask, editTask } from "../../src/domain/tasks/actions.ts"
import { decideTasks } from "../../src/domain/tasks/bulkDecision.ts"
import { operatorContext, socialFixture, type SocialFixture } from "../helpers/socialFixture.ts"

let fx: SocialFixture
beforeEach(async () => {
  fx = await socialFixture([])
})
afterEach(() => fx.close())

describe("operator task actions are audited with the operator's signature", () => {
  it("add, edit, requeue, fail and cancel each append a signed entry naming the task", async () => {
    const bob = await operatorContext(fx.ws, "bob")
    const a = await addTask(fx.ctx, { prompt: "write a haiku" })
    const b = await addTask(fx.ctx, { command: "ls" })
    await editTask(bob, a.id, { title: "Haiku", priority: 5 })
    fx.ws.updateTask(a.id, d => {
      d.status = "pending_review"
    })
    await decideTask(bob, a.id, "requeue")
    await decideTask(bob, a.id, "cancel")
    fx.ws.updateTask(b.id, d => {
      d.status = "pending_review"
    })
    await decideTask(fx.ctx, b.id, "fail")

    expect(fx.auditOf(fx.ctx).map(e => [e.kind, e.subject])).toEqual([
      ["task_added", a.id],
      ["task_added", b.id],
      ["transition", b.id],
    ])
    expect(fx.auditOf(bob).map(e => [e.kind, e.subject, JSON.parse(e.data).to ?? JSON.parse(e.data).title])).toEqual([
      ["task_edited", a.id, "Haiku"],
      ["transition", a.id, "requeued"],
      ["transition", a.id, "cancelled"],
    ])
    // Signed by each operator's registered key: the logs verify.
    const reports = await verifyWorkspaceAudit(fx.repo, fx.ws.root)
    expect(reports.filter(r => r.peer === "alice" || r.peer === "bob").map(r => r.ok)).toEqual([true, true])
  })

  it("a bulk decision decides each task as a single decision would: signed, audited, and one refusal leaves the others decided", async () => {
    const tasks = [await addTask(fx.ctx, { prompt: "one" }), await addTask(fx.ctx, { prompt: "two" }), await addTask(fx.ctx, { prompt: "three" })]
    for (const t of tasks.slice(0, 2))
      fx.ws.updateTask(t.id, d => {
        d.status = "pending_review"
      })
    const progress: [string, boolean, number][] = []
    const ids = tasks.map(t => t.id)
    const outcomes = await decideTasks(fx.ctx, [...ids, ids[0]!], "approve", {}, (o, done) => progress.push([o.id, o.ok, done]))
    expect(outcomes.map(o => [o.id, o.ok])).toEqual([
      [ids[0], true],
      [ids[1], true],
      [ids[2], false],
    ])
    expect(outcomes[2]).toMatchObject({ error: expect.stringMatching(/queued/) })
    expect(progress).toEqual([
      [ids[0], true, 1],
      [ids[1], true, 2],
      [ids[2], false, 3],
    ])
    for (const id of ids.slice(0, 2)) {
      const decided = fx.ws.tasks.get(id)!
      expect(decided.status).toBe("approved")
      expect(decided.review?.decisionSig).toMatch(/^[0-9a-f]{128}$/)
    }
    expect(fx.ws.tasks.get(ids[2]!)?.status).toBe("queued")
    expect(fx.auditOf(fx.ctx).filter(e => e.kind === "approval").map(e => e.subject)).toEqual(ids.slice(0, 2))
    const reports = await verifyWorkspaceAudit(fx.repo, fx.ws.root)
    expect(reports.find(r => r.peer === "alice")?.ok).toBe(true)
  })

  it("a refused edit appends nothing", async () => {
    const a = await addTask(fx.ctx, { prompt: "p" })
    await expect(editTask(fx.ctx, a.id, { command: "ls" })).rejects.toThrow(/runs a prompt/)
    expect(fx.auditOf(fx.ctx).map(e => e.kind)).toEqual(["task_added"])
  })
})
