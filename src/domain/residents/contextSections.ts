/**
 * The sections of a resident's context that come from what it reads: its rooms, its
 * unanswered mail, its open quests and the bounties it may take.
 * Each line stands alone, newest or most pressing first, so a budget that keeps only the
 * first lines keeps the ones that matter most.
 */
import type { Bounty, Hat, MailMessage, Message, QuestDoc, Skill, SkillRoute } from "../../../schemas/index.ts"
import { hatOverlay } from "../hats/index.ts"
import type { ContextSection } from "./contextAssembly.ts"

const SNIPPET = 240
const oneLine = (text: string) => {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length > SNIPPET ? `${flat.slice(0, SNIPPET - 1)}…` : flat
}

export interface RoomRead {
  title: string
  /** The room's newest messages, oldest first. */
  messages: readonly Message[]
}

/** The newest messages of each room, the rooms with the latest activity first. */
export function roomsSection(rooms: readonly RoomRead[], perRoom = 3): ContextSection {
  const latest = (r: RoomRead) => r.messages.at(-1)?.at ?? 0
  const lines = [...rooms]
    .filter(r => r.messages.length)
    .sort((a, b) => latest(b) - latest(a))
    .flatMap(r => r.messages.slice(-perRoom).reverse().map(m => `[${r.title}] ${m.author}: ${oneLine(m.content)}`))
  return { name: "rooms", heading: "RECENT ROOM MESSAGES (newest first)", lines }
}

/** Mail the resident has not answered, newest first. */
export function mailSection(unanswered: readonly MailMessage[]): ContextSection {
  return { name: "mail", heading: "UNANSWERED MAIL FROM THE HUMANS", lines: unanswered.map(m => `[${m.id}] ${m.by}${m.resident ? "" : " (to everyone)"}: ${oneLine(m.content)}`) }
}

const OPEN_QUEST: ReadonlySet<QuestDoc["state"]> = new Set(["active", "paused", "awaiting_approval"])

/** The resident's open quests, then the open bounties anyone may take. */
export function questsSection(resident: string, quests: readonly QuestDoc[], bounties: readonly Bounty[]): ContextSection {
  const mine = quests.filter(q => q.identity === resident && OPEN_QUEST.has(q.state)).map(q => `Quest "${q.title}" (${q.state.replace("_", " ")}, reward ${q.completionReward} tokens): ${oneLine(q.objective)}`)
  const open = bounties.filter(b => b.state === "open").map(b => `Bounty "${b.title}" (open, reward ${b.reward} tokens): ${oneLine(b.description)}`)
  return { name: "quests", heading: "MY OPEN QUESTS AND OPEN BOUNTIES (taking one is my choice)", lines: [...mine, ...open] }
}

/** The hat a step wears, as an overlay that keeps the hattery rules (kept whole, like identity). */
export function hatSection(hat: Hat): ContextSection {
  return { name: "hat", lines: hatOverlay(hat).split("\n") }
}

/** The skill a task was routed to: its description and its template filled for this task (kept whole). */
export function skillSection(skill: Skill, route: SkillRoute, filled: string): ContextSection {
  return {
    name: "skill",
    lines: [`SKILL: ${skill.name} (routed ${route.kind}, confidence ${route.confidence})`, skill.description, ...skill.preconditions.map(p => `Precondition: ${p}`), "Follow this approach, which has worked before:", ...filled.split("\n")],
  }
}
