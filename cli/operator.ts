/**
 * Who a CLI command acts as, decided by where it runs:
 *  - on the relay's machine, next to its data directory (`--data`, default ./.vivarium): the
 *    workspace owner, whose key the relay keeps there (owner-identity/, mode 0600), so whoever
 *    can read that directory acts as the owner, with no pairing;
 *  - anywhere else: this terminal's own key, paired with an operator (`vivarium pair`), kept
 *    under VIVARIUM_HOME (default ~/.vivarium) per workspace. A paired terminal carries its
 *    operator's authority and shows under that operator's name.
 */
import { randomBytes } from "node:crypto"
import { homedir, hostname } from "node:os"
import { join } from "node:path"
import { dataDirPaths, readWorkspacePointer } from "../peer-server/dataDir.ts"
import { peerNameFor, type PeerIdentity } from "../src/domain/peers/index.ts"
import { fetchWorkspace, RelayError, type WorkspaceAnswer } from "../src/peer/nodePeer.ts"
import { loadIdentity } from "../src/peer/peerIdentity.ts"
import { CliError } from "./errors.ts"

export function operatorHome(env = process.env): string {
  return env.VIVARIUM_HOME ?? join(homedir(), ".vivarium")
}

/** Where this machine keeps its paired terminal key for a workspace. */
export function terminalIdentityDir(workspaceId: string, env = process.env): string {
  return join(operatorHome(env), "terminals", workspaceId)
}

/** A new terminal's registration name: internal (people see its operator's name), unique enough. */
export function newTerminalName(): string {
  return `cli-${peerNameFor(hostname()).slice(0, 40)}-${randomBytes(3).toString("hex")}`
}

/** The owner's key in `dataDir` when that data directory holds workspace `workspaceId`. */
export async function ownerIdentityIn(dataDir: string, workspaceId: string): Promise<PeerIdentity | undefined> {
  const paths = dataDirPaths(dataDir)
  try {
    if (readWorkspacePointer(paths)?.workspaceId !== workspaceId) return undefined
    return await loadIdentity(paths.ownerIdentity)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EACCES")
      throw new CliError(`cannot read the owner's key in ${paths.ownerIdentity} (permission denied): run as the user who runs the relay, or pair this terminal with \`vivarium pair\``)
    throw error
  }
}

export interface CliIdentity {
  identity: PeerIdentity
  /** "owner": the data directory's key; "terminal": this terminal's paired key. */
  as: "owner" | "terminal"
  /** Where the key lives (a key rotation writes the new one there). */
  dir: string
  /** The relay's answer for its workspace (root URL, id, name). */
  workspace: WorkspaceAnswer
}

/** The workspace `relay` serves, with the relay's failures as one clear line. */
export async function workspaceAt(relay: string, token: string): Promise<WorkspaceAnswer> {
  try {
    return await fetchWorkspace(relay, token)
  } catch (error) {
    if (error instanceof RelayError) throw new CliError(error.message)
    throw error
  }
}

/** Whom this command acts as for the workspace at `relay` (see the top of this file). */
export async function cliIdentity(relay: string, token: string, dataDir: string): Promise<CliIdentity> {
  const workspace = await workspaceAt(relay, token)
  const owner = await ownerIdentityIn(dataDir, workspace.workspaceId)
  if (owner) return { identity: owner, as: "owner", dir: dataDirPaths(dataDir).ownerIdentity, workspace }
  const dir = terminalIdentityDir(workspace.workspaceId)
  const terminal = await loadIdentity(dir)
  if (terminal) return { identity: terminal, as: "terminal", dir, workspace }
  throw new CliError(
    `this terminal is not paired with the workspace "${workspace.name}": run \`vivarium pair\` and confirm its code in the control panel (Settings → Pair a terminal), or run this on the relay's machine next to its data directory`,
  )
}
