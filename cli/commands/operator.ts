/** `vivarium operator list|approve|revoke NAME`: who may operate this workspace (the owner decides). */
import { z } from "zod"
import { isOnline } from "../../src/domain/tasks/index.ts"
import { decidePeer, displayNameOf, type PeerIdentity } from "../../src/domain/peers/index.ts"
import type { Workspace } from "../../src/workspace/workspace.ts"
import { parseFlags, takePositionals } from "../args.ts"
import { CONNECTION_FLAGS, ConnectionInput, withPeer } from "../connection.ts"
import { CliError } from "../errors.ts"
import { withOperator } from "../operatorPeer.ts"

/** Only the owner pinned in root.authority approves and revokes operators. */
function assertOwner(workspace: Workspace, me: PeerIdentity, command: string): void {
  const owner = workspace.root.authority?.owner
  if (owner?.name === me.name && owner.publicKey === me.publicKeyHex) return
  throw new CliError(`${command}: only the workspace owner${owner ? ` (${displayNameOf(workspace.root, owner.name)})` : ""} approves or revokes operators; you are ${displayNameOf(workspace.root, me.name)}`)
}

function decide(state: "approved" | "revoked") {
  return async (argv: string[]): Promise<number> => {
    const command = `operator ${state === "approved" ? "approve" : "revoke"}`
    const [[name], rest] = takePositionals(command, argv, ["NAME"])
    const flags = parseFlags(command, rest, CONNECTION_FLAGS, ConnectionInput)
    await withOperator(flags, async ({ peer, actor, audit }) => {
      assertOwner(peer.workspace, peer.identity, command)
      if (name === peer.identity.name) throw new CliError(`${command}: the owner cannot ${state === "approved" ? "approve" : "revoke"} itself`)
      // The owner decides on operators and on follower relays (mirrors) alike.
      await decidePeer({ workspace: peer.workspace, audit, actor }, name!, state, peer.workspace.root.peers[name!]?.role === "mirror" ? "mirror" : "operator")
    })
    console.log(`${name} ${state}`)
    return 0
  }
}

const LIST_FLAGS = { ...CONNECTION_FLAGS, json: { type: "boolean", default: false } } as const
async function list(argv: string[]): Promise<number> {
  const flags = parseFlags("operator list", argv, LIST_FLAGS, ConnectionInput.extend({ json: z.boolean() }))
  const operators = await withPeer(flags, peer => {
    const owner = peer.workspace.root.authority?.owner
    return Object.values(peer.workspace.root.peers)
      .filter(p => p.role === "operator")
      .map(p => ({
        name: p.name,
        state: p.state,
        owner: owner?.name === p.name && owner.publicKey === p.publicKey,
        online: isOnline(p, Date.now()),
        /** What everyone sees: the operator's name as given (a terminal's operator's). */
        displayName: displayNameOf(peer.workspace.root, p.name),
        ...(p.deviceOf ? { terminalOf: p.deviceOf } : {}),
      }))
  })
  if (flags.json) console.log(JSON.stringify(operators, null, 2))
  else
    for (const o of operators)
      console.log(`${o.displayName.padEnd(28)} ${o.state.padEnd(9)} ${o.owner ? "owner   " : o.terminalOf ? "terminal" : "        "} ${o.name}`.trimEnd())
  return 0
}

export async function runOperatorCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === "approve") return decide("approved")(rest)
  if (sub === "revoke") return decide("revoked")(rest)
  if (sub === "list") return list(rest)
  throw new CliError(`operator: ${sub ? `unknown subcommand '${sub}'` : "a subcommand is needed"} (expected list, approve NAME, revoke NAME)`)
}
