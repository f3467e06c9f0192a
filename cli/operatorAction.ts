/** Domain actions from the CLI, signed as the local operator; a refusal reaches cli/main.ts, which prints its sentence and next step. */
import type { OperatorContext } from "../src/workspace/actionContext.ts"
import type { ConnectionInput } from "./connection.ts"
import { withOperator } from "./operatorPeer.ts"

/** Runs an action as the local operator (signed and audited, as from the panel). */
export function actAsOperator<T>(flags: ConnectionInput, fn: (ctx: OperatorContext) => Promise<T>): Promise<T> {
  return withOperator(flags, ({ peer, actor, audit }) => fn({ workspace: peer.workspace, actor, audit }))
}
