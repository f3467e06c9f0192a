/**
 * What a resident takes up on its own: a person's message in its rooms that asks for it (a
 * DM with it, or a message naming it), and an open bounty that matches its traits. Each
 * becomes a task of the resident's own, rate-limited and paid from its wallet; a resident
 * is never made to take anything (voluntary acceptance, as in the original: a score of the
 * resident's traits found in the work, plus a reward bonus).
 *
 * Only people's messages count: residents answering each other would talk in circles on
 * tokens. Pure rules; the relay's initiative pass (peer-server/initiative.ts) reads the
 * documents and writes.
 */
import type { Bounty, Identity, Message, RoomEntry } from "../../../schemas/index.ts"
import { LIMITS } from "../../../schemas/index.ts"
import { TYPED_MESSAGE_PREFIX } from "../rooms/inputs.ts"

export const INITIATIVE = {
  /** Own tasks a resident may start in any trailing hour. */
  perHour: 4,
  hourMs: 60 * 60_000,
  /** Only messages this recent are answered (an old one found late is left alone). */
  horizonMs: 60 * 60_000,
  /** Free-time tokens an own task costs the resident. */
  cost: 5,
  /** The budget of an own task (USD): small, like a mailbox task's. */
  budget: { minBudgetUsd: 0.01, maxBudgetUsd: 0.05 },
  /** Traits a bounty must match before a resident takes it up unasked. */
  bountyMinTraits: 1,
} as const

/** Something that asks for a resident's answer. */
export type Stimulus =
  | { kind: "message"; id: string; roomId: string; roomTitle: string; message: Message; authorName: string }
  | { kind: "bounty"; id: string; bounty: Bounty; score: number }

/** Whether `text` names `name` as a word ("Ada", "@ada", "ada's"), case and accents aside. */
export function mentions(text: string, name: string): boolean {
  const fold = (s: string) => s.normalize("NFKD").replace(/\p{M}+/gu, "").toLowerCase()
  const escaped = fold(name).trim().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
  return escaped.length > 1 && new RegExp(`(^|[^\\p{L}\\p{N}])@?${escaped}($|[^\\p{L}\\p{N}])`, "u").test(fold(text))
}

/**
 * The voluntary acceptance score: how many of the resident's traits the work's text holds,
 * plus min(reward / 100, 2).
 */
export function voluntaryScore(traits: readonly string[], text: string, reward = 0): number {
  const lower = text.toLowerCase()
  const found = traits.filter(t => t.trim() && lower.includes(t.trim().toLowerCase())).length
  return found + Math.min(Math.max(reward, 0) / 100, 2)
}

/**
 * Whether a resident accepts work offered to it (a quest, a bounty an operator asked it to
 * answer, any task for it): by default it accepts everything, as in the original; a worker
 * started with a minimum score lets it decline work its traits and reward do not reach.
 */
export function voluntaryDecline(traits: readonly string[], text: string, reward: number, minScore: number): string | undefined {
  const score = voluntaryScore(traits, text, reward)
  if (score >= minScore) return undefined
  return `declined: the work matches ${score === 0 ? "none" : `a score of ${Math.round(score * 100) / 100}`} of its traits and reward, below the ${minScore} this worker asks for (participation is voluntary)`
}

export interface RoomRead {
  entry: RoomEntry
  /** The room's recent messages, oldest first. */
  messages: readonly Message[]
}

/**
 * People's recent messages that ask `resident` for an answer: any in a DM with it, and in
 * other rooms those naming it. `isPerson` tells an operator's name from anyone else's.
 */
export function messageStimuli(resident: Pick<Identity, "id" | "name">, rooms: readonly RoomRead[], who: { isPerson: (id: string) => boolean; nameOf: (id: string) => string }, now: number): Stimulus[] {
  const out: Stimulus[] = []
  for (const { entry, messages } of rooms) {
    const dm = entry.kind === "dm"
    if (dm && !entry.members.includes(resident.id)) continue
    for (const message of messages) {
      if (now - message.at > INITIATIVE.horizonMs || message.author === resident.id || !who.isPerson(message.author)) continue
      // Typed messages only: an action's room copy (a mail sent, a quest assigned: each has its
      // own task) and the relay's automatic posts ask nothing.
      if (!message.id.startsWith(`${TYPED_MESSAGE_PREFIX}-`)) continue
      if (!dm && !mentions(message.content, resident.name)) continue
      out.push({ kind: "message", id: message.id, roomId: entry.id, roomTitle: entry.title, message, authorName: who.nameOf(message.author) })
    }
  }
  return out.sort((a, b) => (a.kind === "message" && b.kind === "message" ? a.message.at - b.message.at : 0))
}

/** Open bounties a resident would take up by its traits, best match first; none it already answered. */
export function bountyStimuli(resident: Pick<Identity, "id" | "core">, bounties: Iterable<Bounty>): Stimulus[] {
  const out: Stimulus[] = []
  for (const bounty of bounties) {
    if (bounty.state !== "open" || Object.values(bounty.submissions).some(s => s.identity === resident.id || s.members.includes(resident.id))) continue
    const traits = voluntaryScore(resident.core.traits, `${bounty.title}\n${bounty.description}`)
    if (traits < INITIATIVE.bountyMinTraits) continue
    out.push({ kind: "bounty", id: bounty.id, bounty, score: traits + Math.min(bounty.reward / 100, 2) })
  }
  return out.sort((a, b) => (a.kind === "bounty" && b.kind === "bounty" ? b.score - a.score : 0))
}

/** How many more own tasks a resident may start now, given when its recent ones were made. */
export function initiativeLeft(startedAt: readonly number[], now: number): number {
  return Math.max(0, INITIATIVE.perHour - startedAt.filter(at => now - at < INITIATIVE.hourMs).length)
}

/** The id prefix of a resident's own tasks. */
export const ownTaskPrefix = (resident: string) => `own-${resident}-`

/** The own task's id: the same on every pass, so a stimulus is taken up once. */
export function initiativeTaskId(resident: string, stimulus: Pick<Stimulus, "kind" | "id">): string {
  return `${ownTaskPrefix(resident)}${stimulus.id}`.slice(0, 120)
}

/** Whether `task` is one its resident took up itself. */
export const isOwnTask = (task: { id: string; targetIdentity?: string | undefined }) => !!task.targetIdentity && task.id.startsWith(ownTaskPrefix(task.targetIdentity))

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`)

/** The own task's title and prompt for a message: the message, a few before it, and what to answer. */
export function replyTask(residentName: string, s: Extract<Stimulus, { kind: "message" }>, before: readonly Message[], nameOf: (id: string) => string): { title: string; prompt: string } {
  const context = before.slice(-5).map(m => `${nameOf(m.author)}: ${clip(m.content.replace(/\s+/g, " "), 200)}`)
  const prompt = [
    `${s.authorName} wrote to me in ${s.roomTitle}:`,
    clip(s.message.content, 1_500),
    ...(context.length ? ["", "Just before, in that room:", ...context] : []),
    "",
    `Answer ${s.authorName} as ${residentName}, in at most a few sentences, as a message in ${s.roomTitle}. Answer with the message itself; it is posted as written once it is approved.`,
  ].join("\n")
  return { title: clip(`${residentName} answers ${s.authorName} in ${s.roomTitle}`, LIMITS.title), prompt: clip(prompt, LIMITS.prompt) }
}
