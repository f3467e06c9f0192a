/**
 * What the relay (the system actor) does for improvement loops: a running loop's next
 * iteration becomes a task for its resident (within its iteration and money budget), an
 * approved answer becomes a proposal and the loop stops at that checkpoint until an operator
 * lets it go on, an answer that proposes nothing or a failed task ends it. Idempotent: task
 * and proposal ids are fixed by loop and iteration, so a second pass writes nothing new.
 */
import type { Actor, ImprovementLoop, Proposal, ProposalsDoc } from "../../../schemas/index.ts"
import { readLoops, readProposals } from "../../workspace/documentReaders.ts"
import type { Workspace } from "../../workspace/workspace.ts"
import { taskSpend } from "../tasks/spend.ts"
import { openProposals, storedProposal } from "./actions.ts"
import { loopProposalId, loopTaskId, loopTaskText, nextLoopStep, readLoopAnswer, targetLabel } from "./rules.ts"
import { targetNow } from "./targets.ts"

/** The budget of each iteration's task (USD): at most what the loop has left, never below the smallest a task takes. */
const ITERATION_BUDGET = { minBudgetUsd: 0.005, maxBudgetUsd: 0.05 } as const
const iterationBudget = (loop: ImprovementLoop) => ({
  minBudgetUsd: ITERATION_BUDGET.minBudgetUsd,
  maxBudgetUsd: Math.max(ITERATION_BUDGET.minBudgetUsd, Math.min(ITERATION_BUDGET.maxBudgetUsd, loop.budgetUsd - loop.spentUsd)),
})

export type LoopEvent = { loop: string; action: "began" | "proposed" | "done" | "stopped"; detail: Record<string, unknown> }

/** One pass over every running loop; answers what it did, for the relay's audit log. */
export async function advanceLoops(ws: Workspace, by: Actor, now: number): Promise<LoopEvent[]> {
  if (!ws.root.docs.proposals) return []
  const handle = await openProposals(ws)
  const label = `proposals ${handle.url}`
  const loops = [...readLoops(handle.doc(), label, []).values()].filter(l => l.state === "running")
  if (!loops.length) return []
  const proposals = readProposals(handle.doc(), label, [])
  const events: LoopEvent[] = []
  const write = (fn: (d: ProposalsDoc) => void) => handle.change(fn)
  for (const loop of loops) {
    const task = loop.iterations ? ws.tasks.get(loopTaskId(loop.id, loop.iterations)) : undefined
    const step = nextLoopStep(loop, task, proposals.has(loopProposalId(loop.id, loop.iterations)))
    if (step.kind === "wait") continue
    const current = await targetNow(ws, loop.target)
    if (current === undefined) {
      finish(write, loop, "stopped", `${targetLabel(loop.target)} no longer exists`, events)
      continue
    }
    if (step.kind === "finish") finish(write, loop, step.state, step.reason, events)
    else if (step.kind === "begin") {
      const id = loopTaskId(loop.id, step.iteration)
      if (!ws.tasks.get(id))
        ws.addTask({ ...loopTaskText(loop, current, step.iteration), ...iterationBudget(loop), mode: "llm", link: { kind: "loop", id: loop.id }, ...(loop.resident ? { targetIdentity: loop.resident } : {}) }, by, now, id)
      write(d => {
        d.loops[loop.id]!.iterations = step.iteration
      })
      events.push({ loop: loop.id, action: "began", detail: { iteration: step.iteration, task: id } })
    } else {
      const spent = taskSpend(task!)
      const after = readLoopAnswer(task!.result?.output ?? "", current)
      if (!after) {
        write(d => {
          d.loops[loop.id]!.spentUsd = loop.spentUsd + spent
        })
        finish(write, loop, "done", `iteration ${step.iteration} proposes no further change`, events)
        continue
      }
      const p: Proposal = {
        id: loopProposalId(loop.id, step.iteration),
        target: loop.target,
        before: current,
        after,
        reason: `the loop's goal: ${loop.goal}`.slice(0, 1_000),
        risk: loop.risk,
        rollbackPlan: "roll back to the checkpoint taken when it applied",
        proposedBy: by,
        proposedAt: now,
        state: "proposed",
        approvals: [],
        loop: { id: loop.id, iteration: step.iteration },
        taskId: task!.id,
      }
      write(d => {
        if (!d.proposals[p.id]) d.proposals[p.id] = storedProposal(p)
        Object.assign(d.loops[loop.id]!, { state: "at_checkpoint", spentUsd: loop.spentUsd + spent })
      })
      events.push({ loop: loop.id, action: "proposed", detail: { iteration: step.iteration, proposal: p.id } })
    }
  }
  return events
}

function finish(write: (fn: (d: ProposalsDoc) => void) => void, loop: ImprovementLoop, state: "done" | "stopped", reason: string, events: LoopEvent[]): void {
  write(d => {
    Object.assign(d.loops[loop.id]!, { state, stopReason: reason })
  })
  events.push({ loop: loop.id, action: state, detail: { reason } })
}
