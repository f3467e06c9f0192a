/** Carrying a closed queue generation's late changes while a peer writes the same task in the live one. */
import * as A from "@automerge/automerge"
import { Repo } from "@automerge/automerge-repo"
import { afterAll, describe, expect, it } from "vitest"
import type { QueueDoc } from "../../schemas/index.ts"
import { carryForward } from "../../peer-server/queueGenerations.ts"

const repo = new Repo({ network: [] })
afterAll(() => repo.shutdown())

const event = (from: string, to: string, at: number) => ({ at, from, to, by: { kind: "worker", name: "w1" }, reason: to })

describe("carrying late task changes", () => {
  it("a history event a worker appends in the live queue as the carry happens is kept, with its move", () => {
    const task = { id: "task-1", status: "claimed", history: [event("queued", "claimed", 1)] }
    const closed = repo.create<QueueDoc>({ schemaVersion: 1, kind: "queue", tasks: { "task-1": structuredClone(task) } } as unknown as QueueDoc)
    const live = repo.create<QueueDoc>({ schemaVersion: 1, kind: "queue", generation: 1, tasks: { "task-1": structuredClone(task) } } as unknown as QueueDoc)
    closed.change(d => {
      d.forwarded = [...A.getHeads(closed.doc())]
    })
    // Late, in the closed generation: the run started.
    closed.change(d => {
      const t = d.tasks["task-1"] as unknown as { status: string; history: unknown[] }
      t.status = "running"
      t.history.push(event("claimed", "running", 2))
    })
    // Meanwhile, in the live one (a worker's replica that has not seen the carry): it finished.
    const worker = A.change(A.clone(live.doc()), d => {
      const t = d.tasks["task-1"] as unknown as { status: string; history: unknown[] }
      t.status = "pending_review"
      t.history.push(event("running", "pending_review", 3))
    })
    expect(carryForward(closed, live)).toEqual({ carried: ["task-1"], dropped: [] })
    live.update(d => A.merge(d, worker))
    const history = (live.doc().tasks["task-1"] as unknown as { history: { to: string }[] }).history
    expect(history.map(e => e.to).sort()).toEqual(["claimed", "pending_review", "running"])
  })
})
