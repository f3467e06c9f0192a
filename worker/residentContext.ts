/**
 * The worker's side of playing a resident: its context read from the replicated documents
 * (identity, wallet, journal recall, rooms, mail, quests and bounties) before a task, and a
 * journal note after it. A resident whose documents cannot be read yet gets no context
 * rather than a failed task.
 */
import { LIMITS, type Actor, type Hat, type Identity, type RunRef, type Task } from "../schemas/index.ts"
import { assembleContext, DEFAULT_CONTEXT_BUDGET, hatSection, mailSection, MemoryIndex, messagesToHuman, questsSection, RECALL, recallMemory, residents, roomsSection, wakeUpSections, writeJournal, type AssembledContext, type ContextSection } from "../src/domain/residents/index.ts"
import { readFencedBounties, submitToBounty } from "../src/domain/bounties/index.ts"
import { residentMessage, unansweredBy } from "../src/domain/mailbox/index.ts"
import { quests } from "../src/domain/quests/index.ts"
import { roomPage, rooms } from "../src/domain/rooms/index.ts"
import { deliveredMail, ledgerVoids } from "../src/workspace/fencedReaders.ts"
import { openWallets, walletOf } from "../src/domain/wallets/index.ts"
import type { RecordSigner } from "../src/core/signedRecords.ts"
import type { Workspace } from "../src/workspace/workspace.ts"

async function residentOf(ws: Workspace, id: string): Promise<Identity | undefined> {
  return (await residents(ws)).get(id)
}

/** Each journal's full-text index, kept while the worker runs: a task indexes only the entries written since the last. */
const memoryIndexes = new Map<string, MemoryIndex>()
const memoryIndexOf = (journalUrl: string): MemoryIndex => memoryIndexes.get(journalUrl) ?? memoryIndexes.set(journalUrl, new MemoryIndex()).get(journalUrl)!

/** Rooms whose newest messages reach a resident's context: its DMs and the open rooms, at most this many. */
const CONTEXT_ROOMS = 4
const ROOM_LINES = 3

/** Each source read on its own: one that cannot be read yet leaves its section out, not the task. */
async function section(read: () => Promise<ContextSection>): Promise<ContextSection[]> {
  try {
    return [await read()]
  } catch {
    return []
  }
}

async function roomsOf(ws: Workspace, resident: string): Promise<ContextSection> {
  const entries = [...(await rooms(ws)).values()].filter(r => r.kind === "room" || r.members.includes(resident))
  // The newest segment first: what was said lately, never a room's whole history.
  const reads = await Promise.all(entries.map(async r => ({ title: r.title, messages: (await roomPage(ws, r.id, ROOM_LINES)).messages })))
  return roomsSection(reads.sort((a, b) => (b.messages.at(-1)?.at ?? 0) - (a.messages.at(-1)?.at ?? 0)).slice(0, CONTEXT_ROOMS), ROOM_LINES)
}

async function mailOf(ws: Workspace, resident: string): Promise<ContextSection> {
  return mailSection(unansweredBy((await deliveredMail(ws)).messages, resident))
}

async function questsOf(ws: Workspace, resident: string): Promise<ContextSection> {
  return questsSection(resident, await quests(ws), [...(await readFencedBounties(ws)).values()])
}

/**
 * The context a task's prompt is sent with, assembled in the documented order within
 * `budget` characters: its resident's (when it targets one that can be read), the skill it
 * was routed to and the hat it wears; undefined when there is none of them.
 */
export async function taskContextFor(ws: Workspace, task: Task, chosen: { hat?: Hat | undefined; skill?: ContextSection | undefined }, budget = DEFAULT_CONTEXT_BUDGET): Promise<AssembledContext | undefined> {
  const extra = [...(chosen.skill ? [chosen.skill] : []), ...(chosen.hat ? [hatSection(chosen.hat)] : [])]
  const resident = await residentSectionsFor(ws, task)
  return resident || extra.length ? assembleContext([...(resident ?? []), ...extra], budget) : undefined
}

/** The sections of a task's resident, or undefined when the task targets none (or its resident cannot be read yet). */
async function residentSectionsFor(ws: Workspace, task: Task): Promise<ContextSection[] | undefined> {
  if (!task.targetIdentity) return undefined
  try {
    const identity = await residentOf(ws, task.targetIdentity)
    if (!identity) return undefined
    const wallets = await openWallets(ws)
    const voids = await ledgerVoids(ws)
    // As many memories as recall allows; the assembly's budget decides how many go in.
    const recall = identity.journalUrl ? await recallMemory(ws.repo, identity, `${task.title} ${task.prompt ?? ""}`, { limit: RECALL.maxLimit, maxChars: RECALL.maxCharsCap }, run => ws.staleRunReason(run), memoryIndexOf(identity.journalUrl)) : ""
    return [
      ...wakeUpSections({ identity, wallet: await walletOf(ws, wallets, identity.id, { voidOf: voids }), recall: recall ? recall.split("\n") : [] }),
      ...(await section(() => roomsOf(ws, identity.id))),
      ...(await section(() => mailOf(ws, identity.id))),
      ...(await section(() => questsOf(ws, identity.id))),
    ]
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
