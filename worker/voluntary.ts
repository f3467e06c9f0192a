/**
 * The worker's side of voluntary acceptance: before it runs work offered to the resident it
 * plays, it asks whether the resident takes it up (src/domain/residents/initiative.ts). The
 * resident's own tasks are its choice already.
 */
import type { Task } from "../schemas/index.ts"
import { readFencedBounties } from "../src/domain/bounties/index.ts"
import { questRef } from "../src/domain/quests/actions.ts"
import { residents } from "../src/domain/residents/actions.ts"
import { isOwnTask, voluntaryDecline } from "../src/domain/residents/initiative.ts"
import type { Workspace } from "../src/workspace/workspace.ts"

/** The reward the work offers, in tokens (0 when its quest or bounty cannot be read here). */
async function rewardOf(ws: Workspace, task: Task): Promise<number> {
  try {
    if (task.link?.kind === "quest") return (await questRef(ws, task.link.id)).quest.completionReward
    if (task.link?.kind === "bounty") return (await readFencedBounties(ws)).get(task.link.id)?.reward ?? 0
  } catch {
    return 0
  }
  return 0
}

/** Why the resident declines `task`, or undefined when it takes it up (always with `minScore` 0). */
export async function declineReason(ws: Workspace, task: Task, minScore: number): Promise<string | undefined> {
  if (minScore <= 0 || !task.targetIdentity || isOwnTask(task)) return undefined
  const resident = (await residents(ws)).get(task.targetIdentity)
  if (!resident) return undefined
  const reason = voluntaryDecline(resident.core.traits, `${task.title}\n${task.prompt ?? ""}`, await rewardOf(ws, task), minScore)
  return reason && `${resident.name} ${reason}`
}
