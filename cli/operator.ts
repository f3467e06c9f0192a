/** The operator a CLI command acts as: VIVARIUM_OPERATOR, else the login name. */
import { userInfo } from "node:os"
import type { Actor } from "../schemas/index.ts"

export function operatorActor(env = process.env): Actor {
  const raw = env.VIVARIUM_OPERATOR ?? userInfo().username
  const name = raw.replace(/[^A-Za-z0-9_.-]/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 80) || "operator"
  return { kind: "operator", name }
}
