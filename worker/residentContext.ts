/**
 * The worker's side of playing a resident: the wake-up context read from the replicated
 * documents (identity, wallet, journal recall) before a task, and a journal note after it.
 * A resident whose documents cannot be read yet gets no context rather than a failed task.
 */
import { LIMITS, type Actor, type Identity, type RunRef, type Task } from "../schemas/index.ts"
import { messagesToHuman, wakeUpContext, recallMemory, writeJournal, residents } from "../src/domain/residents/index.ts"
import { submitToBounty } from "../src/domain/bounties/index.ts"
import { residentMessage } from "../src/domain/mailbox/index.ts"
import { ledgerVoids } from "../src/workspace/fencedReaders.ts"
import { openWallets, walletOf } from "../src/domain/wallets/index.ts"
import type { RecordSigner } from "../src/core/signedRecords.ts"
import type { Workspace } from "../src/workspace/workspace.ts"

async function residentOf(ws: Workspace, id: string): Promise<Identity | undefined> {
  return (await residents(ws)).get(id)
}

/** The wake-up context for a task targeted at a resident, or undefined. */
export async function residentContextFor(ws: Workspace, task: Task): Promise<string | undefined> {
  if (!task.targetIdentity) return undefined
  try {
    const identity = await residentOf(ws, task.targetIdentity)
    if (!identity) return undefined
    const wallets = await openWallets(ws)
    const voids = await ledgerVoids(ws)
    const recall = identity.journalUrl ? await recallMemory(ws.repo, identity, `${task.title} ${task.prompt ?? ""}`, { limit: 4, maxChars: 600 }, run => ws.staleRunReason(run)) : ""
    return wakeUpContext({ identity, wallet: await walletOf(ws, wallets, identity.id, { voidOf: voids }), recall })
  } catch {
    return undefined
  }
}

/** A private journal note of what the resident just did (its memory for later recall), made in `run`. */
export async function noteTaskInJournal(ws: Workspace, task: Task, run: RunRef, outcome: string, output: string, now = Date.now()): Promise<void> {
  if (!task.targetIdentity) return
  const identity = await residentOf(ws, task.targetIdentity)
  if (!identity?.journalUrl) return
  const summary = output.replace(/\s+/g, " ").trim().slice(0, 300)
  await writeJournal(ws.repo, identity, { kind: "task", content: `Task ${task.id} (${outcome}): ${task.title}${summary ? `\n${summary}` : ""}` }, now, run)
}

/**
 * What the resident wrote to the human in its answer ("MESSAGE TO HUMAN: …" lines) goes to
 * the mailbox; each costs the resident tokens, and one it cannot pay for is not sent.
 * Returns the problems, for the worker's log.
 */
export async function sendResidentMessages(ws: Workspace, task: Task, run: RunRef, output: string, signer: RecordSigner, now = Date.now()): Promise<string[]> {
  if (!task.targetIdentity) return []
  const problems: string[] = []
  for (const m of messagesToHuman(output)) {
    try {
      await residentMessage(ws, { resident: task.targetIdentity, type: m.type, content: m.content, taskId: task.id }, signer, now, run)
    } catch (error) {
      problems.push((error as Error).message)
    }
  }
  return problems
}

/** A resident's answer to a bounty task is its submission (refused ones are reported, not retried). */
export async function submitBountyWork(ws: Workspace, task: Task, run: RunRef, output: string, now = Date.now()): Promise<string | undefined> {
  if (task.link?.kind !== "bounty" || !task.targetIdentity) return undefined
  const content = output.trim().slice(0, LIMITS.message)
  if (!content) return "empty answer: nothing to submit"
  try {
    await submitToBounty({ workspace: ws, now }, task.link.id, { identity: task.targetIdentity, content }, run)
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}
