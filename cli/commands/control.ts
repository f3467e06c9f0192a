/** `vivarium halt --reason TEXT` / `vivarium resume`: the kill switch, signed by the operator. */
import { z } from "zod"
import { LIMITS } from "../../schemas/index.ts"
import { setKillSwitch } from "../../src/domain/peers/index.ts"
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
    await withOperator(flags, ({ peer, actor, audit }) => setKillSwitch({ workspace: peer.workspace, audit, actor }, on, reason))
    console.log(on ? `halted: ${reason}` : "resumed")
    return 0
  }
}
