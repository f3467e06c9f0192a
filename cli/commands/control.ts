/** `vivarium halt --reason TEXT` / `vivarium resume`: the kill switch, signed by the operator. */
import { z } from "zod"
import { LIMITS, type RootDoc } from "../../schemas/index.ts"
import { parseFlags } from "../args.ts"
import { CONNECTION_FLAGS, ConnectionInput } from "../connection.ts"
import { CliError } from "../errors.ts"
import { withOperator } from "../operatorPeer.ts"

const FLAGS = { ...CONNECTION_FLAGS, reason: { type: "string" } } as const
const Input = ConnectionInput.extend({ reason: z.string().min(1, "reason is empty").max(LIMITS.reason).optional() })

export function killSwitchCommand(on: boolean) {
  return async (argv: string[]): Promise<number> => {
    const command = on ? "halt" : "resume"
    const flags = parseFlags(command, argv, FLAGS, Input)
    if (on && !flags.reason) throw new CliError("halt: --reason TEXT is required (operators see it)")
    const reason = flags.reason ?? "resumed"
    await withOperator(flags, async ({ peer, actor, audit }) => {
      const now = Date.now()
      peer.workspace.rootHandle.change((d: RootDoc) => {
        d.controls.killSwitch = { on, reason, setBy: actor.name, setAt: now }
      })
      await audit.append("kill_switch", "workspace", { on, reason })
    })
    console.log(on ? `halted: ${reason}` : "resumed")
    return 0
  }
}
