/** `vivarium task approve|requeue|fail|cancel ID`: operator decisions, signed into the audit log. */
import { Id } from "../../schemas/index.ts"
import { decideTask, DecisionInput, Tip, TIP_RULE, type TaskDecision } from "../../src/domain/tasks/index.ts"
import { numberFlagOf, parseFlags, takePositionals } from "../args.ts"
import { CONNECTION_FLAGS, ConnectionInput } from "../connection.ts"
import { CliError } from "../errors.ts"
import { withOperator } from "../operatorPeer.ts"

const FLAGS = { ...CONNECTION_FLAGS, tip: { type: "string" }, feedback: { type: "string" }, reason: { type: "string" } } as const
const Input = ConnectionInput.extend({
  tip: numberFlagOf(Tip, TIP_RULE).optional(),
  feedback: DecisionInput.shape.feedback,
  reason: DecisionInput.shape.reason,
})

function decision(action: TaskDecision) {
  return async (argv: string[]): Promise<number> => {
    const command = `task ${action}`
    const [[id], rest] = takePositionals(command, argv, ["ID"])
    const checkedId = Id.safeParse(id)
    if (!checkedId.success) throw new CliError(`${command}: '${id}' is not a task id`)
    const flags = parseFlags(command, rest, FLAGS, Input)
    if (action !== "approve" && (flags.tip !== undefined || flags.feedback)) throw new CliError(`${command}: --tip and --feedback go with task approve`)
    const to = await withOperator(flags, ({ peer, actor, audit }) =>
      decideTask({ workspace: peer.workspace, audit, actor }, checkedId.data, action, {
        ...(flags.tip !== undefined ? { tip: flags.tip } : {}),
        ...(flags.feedback ? { feedback: flags.feedback } : {}),
        ...(flags.reason ? { reason: flags.reason } : {}),
      }),
    )
    console.log(`${checkedId.data} ${to}`)
    return 0
  }
}

export const REVIEW_SUBCOMMANDS = {
  approve: decision("approve"),
  requeue: decision("requeue"),
  fail: decision("fail"),
  cancel: decision("cancel"),
}
