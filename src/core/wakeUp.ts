/**
 * The wake-up context a worker puts before the task when it plays a resident (the
 * reference's order, shortened to what this workspace has): who I am, my wallet, what I
 * remember about the task, and that participation is voluntary.
 */
import type { Identity } from "../../schemas/index.ts"
import type { Wallet } from "./ledger.ts"
import { RECALL_HEADING } from "./journal.ts"

export interface WakeUpInput {
  identity: Identity
  wallet: Pick<Wallet, "freeTime" | "journal">
  /** Recalled journal lines about the task ("" when nothing matches). */
  recall: string
}

export function wakeUpContext({ identity, wallet, recall }: WakeUpInput): string {
  const mood = identity.mutable.mood
  const focus = identity.mutable.focus
  const lines = [
    "DAY START / I am waking up in Vivarium.",
    `I am ${identity.name} (${identity.id}), level ${identity.continuity.level}, session ${identity.continuity.sessions}.`,
    `Wallet: ${wallet.freeTime} free-time tokens, ${wallet.journal} journal tokens.`,
    "WHO I AM (PERSISTENT, NEVER COMPRESSED)",
    identity.statement ?? "I am discovering who I am through my choices.",
    ...(identity.core.traits.length ? [`Traits: ${identity.core.traits.join(", ")}`] : []),
    ...(identity.core.values.length ? [`Values: ${identity.core.values.join(", ")}`] : []),
    ...(mood || focus ? [`Mood: ${mood ?? "curious"}; focus: ${focus ?? "the task at hand"}`] : []),
    ...(recall ? [RECALL_HEADING, recall] : []),
    "Participation is voluntary. I choose what aligns with me.",
  ]
  return lines.join("\n")
}
