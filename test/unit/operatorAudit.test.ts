/** Every task action an operator takes is signed into that operator's audit log. */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { verifyWorkspaceAudit } from "../../src/domain/audit/auditVerify.ts"
import { addTask, decideTask, editTask } from "../../src/domain/tasks/actions.ts"
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

  it("a refused edit appends nothing", async () => {
    const a = await addTask(fx.ctx, { prompt: "p" })
    await expect(editTask(fx.ctx, a.id, { command: "ls" })).rejects.toThrow(/runs a prompt/)
    expect(fx.auditOf(fx.ctx).map(e => e.kind)).toEqual(["task_added"])
  })
})
