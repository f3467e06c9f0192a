/** `vivarium task approve|requeue|fail|cancel ID`: operator decisions, signed into the audit log. */
import { z } from "zod"
import { Id, LIMITS, type TaskStatus } from "../../schemas/index.ts"
import { applyTransition, TransitionError } from "../../src/core/taskMachine.ts"
import { TaskNotFoundError } from "../../src/workspace/workspace.ts"
import { numberFlag, parseFlags, takePositionals } from "../args.ts"
import { CONNECTION_FLAGS, ConnectionInput } from "../connection.ts"
import { CliError } from "../errors.ts"
import { withOperator } from "../operatorPeer.ts"

const FLAGS = { ...CONNECTION_FLAGS, tip: { type: "string" }, feedback: { type: "string" }, reason: { type: "string" } } as const
const Input = ConnectionInput.extend({
  tip: numberFlag({ min: 0, max: 1000, nan: "tip must be a whole number of tokens from 0 to 1000", int: "tip must be a whole number of tokens from 0 to 1000" }).optional(),
  feedback: z.string().min(1).max(LIMITS.message).optional(),
  reason: z.string().min(1).max(LIMITS.reason).optional(),
})

function decision(action: "approve" | "requeue" | "fail" | "cancel", to: TaskStatus) {
  return async (argv: string[]): Promise<number> => {
    const command = `task ${action}`
    const [[id], rest] = takePositionals(command, argv, ["ID"])
    const checkedId = Id.safeParse(id)
    if (!checkedId.success) throw new CliError(`${command}: '${id}' is not a task id`)
    const flags = parseFlags(command, rest, FLAGS, Input)
    if (action !== "approve" && (flags.tip !== undefined || flags.feedback)) throw new CliError(`${command}: --tip and --feedback go with task approve`)
    await withOperator(flags, async ({ peer, actor, audit }) => {
      const now = Date.now()
      const reason = flags.reason ?? `${action} by operator ${actor.name}`
      let from: TaskStatus | undefined
      try {
        peer.workspace.updateTask(checkedId.data, (d, current) => {
          from = current.status
          applyTransition(d, to, actor, now, reason)
          if (d.review) {
            d.review.decidedBy = actor.name
            if (flags.tip !== undefined) d.review.tip = flags.tip
            if (flags.feedback) d.review.feedback = flags.feedback
          }
          if (to === "requeued") d.attempts = 0
        })
      } catch (error) {
        if (error instanceof TransitionError || error instanceof TaskNotFoundError) throw new CliError(`${command}: ${error.message}`)
        throw error
      }
      await audit.append(action === "approve" ? "approval" : "transition", checkedId.data, {
        from,
        to,
        reason,
        ...(flags.tip !== undefined ? { tip: flags.tip } : {}),
        ...(flags.feedback ? { feedback: flags.feedback } : {}),
      })
    })
    console.log(`${checkedId.data} ${to}`)
    return 0
  }
}

export const REVIEW_SUBCOMMANDS = {
  approve: decision("approve", "approved"),
  requeue: decision("requeue", "requeued"),
  fail: decision("fail", "failed"),
  cancel: decision("cancel", "cancelled"),
}
