/**
 * A Node peer's pinned authority anchors: `dir/anchors.json`, next to its identity, one
 * entry per workspace. The first anchors a peer sees for a workspace stay in force.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { z } from "zod"
import { WorkspaceAuthority } from "../../schemas/index.ts"
import type { AnchorPins } from "../workspace/workspace.ts"
import { writeFileAtomic } from "./files.ts"

const PinFile = z.record(z.string(), WorkspaceAuthority)

export class AnchorPinError extends Error {
  override readonly name = "AnchorPinError"
}

export function fileAnchorPins(dir: string): AnchorPins {
  const path = join(dir, "anchors.json")
  const read = (): Record<string, WorkspaceAuthority> => {
    if (!existsSync(path)) return {}
    const parsed = PinFile.safeParse(JSON.parse(readFileSync(path, "utf8")))
    if (!parsed.success) throw new AnchorPinError(`${path} is not a valid list of pinned anchors: repair or delete it (deleting it trusts the next anchors this peer sees)`)
    return parsed.data
  }
  return {
    async pin(workspaceId, seen) {
      const pins = read()
      const pinned = pins[workspaceId]
      if (pinned || !seen) return pinned
      mkdirSync(dir, { recursive: true, mode: 0o700 })
      writeFileAtomic(path, JSON.stringify({ ...pins, [workspaceId]: seen }, null, 2) + "\n", 0o600)
      return seen
    },
  }
}
