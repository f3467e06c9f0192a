/** Domain actions and reads from the CLI: a refusal of the domain is one line naming the command. */
import { OperatorActionError, type OperatorContext } from "../src/workspace/actionContext.ts"
import type { ConnectionInput } from "./connection.ts"
import { CliError } from "./errors.ts"
import { withOperator } from "./operatorPeer.ts"

/** `fn`, with a refusal (OperatorActionError: nothing was written) turned into a usage error of `command`. */
export async function refusalsOf<T>(command: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    if (error instanceof OperatorActionError) throw new CliError(`${command}: ${error.message}`)
    throw error
  }
}

/** Runs an action as the local operator (signed and audited, as from the panel). */
export function actAsOperator<T>(command: string, flags: ConnectionInput, fn: (ctx: OperatorContext) => Promise<T>): Promise<T> {
  return withOperator(flags, ({ peer, actor, audit }) => refusalsOf(command, () => fn({ workspace: peer.workspace, actor, audit })))
}
