/** How peer commands find their relay: flags, then environment, then the local data dir. */
import { resolve } from "node:path"
import { z } from "zod"
import { localRelayHost, readRelayAddress, readSecret } from "../peer-server/dataDir.ts"
import { connectPeer, PendingApprovalError, RelayError, type NodePeer } from "../src/peer/nodePeer.ts"
import { RelayUrl, type FlagSpec } from "./args.ts"
import { CliError } from "./errors.ts"
import { cliIdentity, operatorHome, type CliIdentity } from "./operator.ts"
import { clearProgress, showProgress } from "./progress.ts"

export const DEFAULT_DATA_DIR = ".vivarium"

export const CONNECTION_FLAGS = {
  relay: { type: "string" },
  token: { type: "string" },
  data: { type: "string" },
} satisfies FlagSpec

export const ConnectionInput = z.object({
  relay: RelayUrl.optional(),
  token: z.string().min(1, "token is empty").optional(),
  data: z.string().min(1).optional(),
})
export type ConnectionInput = z.infer<typeof ConnectionInput>

export function resolveConnection(flags: ConnectionInput, env = process.env): { relay: string; token: string; dataDir: string } {
  const dataDir = resolve(flags.data ?? DEFAULT_DATA_DIR)
  const local = readRelayAddress(dataDir)
  const relay = flags.relay ?? env.VIVARIUM_RELAY ?? (local ? `ws://${localRelayHost(local)}:${local.port}` : undefined)
  const token = flags.token ?? env.VIVARIUM_TOKEN ?? readSecret(dataDir)
  if (!relay || !token) {
    throw new CliError(
      `no relay to talk to: pass --relay ws://host:port --token SECRET, set VIVARIUM_RELAY and VIVARIUM_TOKEN, or run where 'vivarium start' keeps ${DEFAULT_DATA_DIR}/`,
    )
  }
  const checked = RelayUrl.safeParse(relay)
  if (!checked.success) throw new CliError(`VIVARIUM_RELAY: expected ws://host:port, got ${relay}`)
  return { relay, token, dataDir }
}

/**
 * Connects as a short-lived peer speaking for this machine's key (cli/operator.ts: the owner
 * next to the relay's data directory, else this terminal's paired key), runs `fn`, makes sure
 * the relay has our changes, disconnects. A change the relay refuses fails the command.
 * The workspace's authority anchors are pinned under the operator home.
 */
export async function withPeer<T>(flags: ConnectionInput, fn: (peer: NodePeer, me: CliIdentity) => Promise<T> | T): Promise<T> {
  const { relay, token, dataDir } = resolveConnection(flags)
  showProgress(`vivarium: connecting to ${relay}…`)
  const me = await cliIdentity(relay, token, dataDir)
  const identity = me.identity
  showProgress(`vivarium: reading "${me.workspace.name}" at ${relay} as ${me.as === "owner" ? "its owner" : "this paired terminal"}…`)
  let peer: NodePeer
  try {
    peer = await connectPeer({ relay, token, identity, workspace: me.workspace, connectTimeoutMs: 10_000, anchorsDir: operatorHome() })
  } catch (error) {
    if (error instanceof PendingApprovalError) throw new CliError(`this terminal's pairing (${identity.name}) is not confirmed yet: run \`vivarium pair\` and confirm the code in the control panel`)
    if (error instanceof RelayError) throw new CliError(error.message)
    throw error
  }
  const refusal = new Promise<never>((_, reject) =>
    peer.notices.once("refused", notice => reject(new CliError(`the relay refused this change: ${notice.reason}`))),
  )
  refusal.catch(() => {})
  try {
    const result = await fn(peer, me)
    await Promise.race([peer.flushToRelay(), refusal])
    return result
  } finally {
    clearProgress()
    await peer.close()
  }
}
