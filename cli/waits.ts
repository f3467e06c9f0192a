/** The wait rule (src/domain/tasks/waitReason.ts) over a CLI peer's copy of the workspace. */
import { residents } from "../src/domain/residents/index.ts"
import { waitReasons, type WaitReasons } from "../src/domain/tasks/index.ts"
import type { Workspace } from "../src/workspace/workspace.ts"

/** Why each task waits, now; residents are named when a task is for one (their document opened only then). */
export async function workspaceWaits(ws: Workspace, now = Date.now()): Promise<WaitReasons> {
  const tasks = ws.tasks.entries
  const forResidents = [...tasks.values()].some(t => t.targetIdentity)
  const names = forResidents ? await residents(ws).catch(() => undefined) : undefined
  return waitReasons({ root: ws.root, tasks, spend: ws.spendAgainstCap(), now, ...(names ? { residentName: (id: string) => names.get(id)?.name } : {}) })
}
