/** The operator a CLI command acts as: VIVARIUM_OPERATOR, else the login name; its key lives under VIVARIUM_HOME. */
import { homedir, userInfo } from "node:os"
import { join } from "node:path"
import type { Actor } from "../schemas/index.ts"
import { loadOrCreateIdentity } from "../src/peer/peerIdentity.ts"
import type { PeerIdentity } from "../src/domain/peers/index.ts"

export function operatorActor(env = process.env): Actor {
  const raw = env.VIVARIUM_OPERATOR ?? userInfo().username
  const name = raw.replace(/[^A-Za-z0-9_.-]/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 80) || "operator"
  return { kind: "operator", name }
}

export function operatorHome(env = process.env): string {
  return env.VIVARIUM_HOME ?? join(homedir(), ".vivarium")
}

/** Where this machine keeps the operator's key. */
export function operatorIdentityDir(env = process.env): string {
  return join(operatorHome(env), "operators", operatorActor(env).name)
}

/** This machine's key for the operator (created on first use, private half only on disk). */
export function localOperatorIdentity(env = process.env): Promise<PeerIdentity> {
  return loadOrCreateIdentity(operatorIdentityDir(env), operatorActor(env).name, "operator")
}
