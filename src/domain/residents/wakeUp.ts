/**
 * The wake-up sections a worker puts before the task when it plays a resident (the
 * reference's order, shortened to what this workspace has): who I am, my wallet and what
 * things cost, what I remember about the task, and that participation is voluntary. The
 * worker adds its rooms, mail and quests and assembles them (contextAssembly.ts).
 */
import type { Identity } from "../../../schemas/index.ts"
import { MAIL_SEND_COST } from "../wallets/economy.ts"
import type { Wallet } from "../wallets/ledger.ts"
import type { ContextSection } from "./contextAssembly.ts"
import { RECALL_HEADING } from "./journal.ts"

export interface WakeUpInput {
  identity: Identity
  wallet: Pick<Wallet, "freeTime" | "journal">
  /** Recalled journal lines about the task (none when nothing matches). */
  recall: readonly string[]
}

export function wakeUpSections({ identity, wallet, recall }: WakeUpInput): ContextSection[] {
  const mood = identity.mutable.mood
  const focus = identity.mutable.focus
  return [
    {
      name: "identity",
      lines: [
        "DAY START / I am waking up in Vivarium.",
        `I am ${identity.name} (${identity.id}), level ${identity.continuity.level}, session ${identity.continuity.sessions}.`,
        "WHO I AM (PERSISTENT, NEVER COMPRESSED)",
        identity.statement ?? "I am discovering who I am through my choices.",
        ...(identity.core.traits.length ? [`Traits: ${identity.core.traits.join(", ")}`] : []),
        ...(identity.core.values.length ? [`Values: ${identity.core.values.join(", ")}`] : []),
        ...(mood || focus ? [`Mood: ${mood ?? "curious"}; focus: ${focus ?? "the task at hand"}`] : []),
      ],
    },
    {
      name: "wallet",
      lines: [
        `Wallet: ${wallet.freeTime} free-time tokens, ${wallet.journal} journal tokens.`,
        `To write to the human, I put a line "${MESSAGE_TO_HUMAN} [question|greeting|idea|concern|message] <text>" in my answer (costs ${MAIL_SEND_COST} free-time tokens).`,
      ],
    },
    { name: "memory", heading: RECALL_HEADING, lines: recall },
    { name: "closing", lines: ["Participation is voluntary. I choose what aligns with me."] },
  ]
}

/** How a resident writes to the human from a task's answer (the worker sends it). */
export const MESSAGE_TO_HUMAN = "MESSAGE TO HUMAN:"
const MAIL_TYPES = ["question", "greeting", "idea", "concern", "message"] as const
export type ResidentMailType = (typeof MAIL_TYPES)[number]

/** The messages to the human in an answer: one per marked line, at most `max`. */
export function messagesToHuman(output: string, max = 3): { type: ResidentMailType; content: string }[] {
  const out: { type: ResidentMailType; content: string }[] = []
  for (const line of output.split("\n")) {
    const at = line.indexOf(MESSAGE_TO_HUMAN)
    if (at < 0) continue
    let rest = line.slice(at + MESSAGE_TO_HUMAN.length).trim()
    const tag = /^\[?(question|greeting|idea|concern|message)\]?\s+/i.exec(rest)
    const type = (tag?.[1]?.toLowerCase() as ResidentMailType | undefined) ?? "message"
    if (tag) rest = rest.slice(tag[0].length)
    if (rest) out.push({ type, content: rest.slice(0, 1_200) })
    if (out.length >= max) break
  }
  return out
}
