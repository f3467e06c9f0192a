/**
 * The gut-check: whether a request looks compound enough to plan before running. Each
 * signal is a cheap look at the text; a request showing two or more is planned.
 */

export type GutSignal = "long_prompt" | "multi_line" | "sequencing_connectors" | "comma_enumeration" | "compound_clauses"

export interface GutCheck {
  signals: GutSignal[]
  /** How many signals fired. */
  complexity: number
  shouldPlan: boolean
}

/** Signals needed before a request is planned. */
export const PLAN_THRESHOLD = 2
const LONG_PROMPT = 220

/** Words that put one piece of work after another. */
export const CONNECTORS = /\b(?:and then|then|also|plus|after that|next|finally)\b/i

export function gutCheck(text: string): GutCheck {
  const punctuation = (text.match(/[,;]/g) ?? []).length
  const connector = CONNECTORS.test(text)
  const fired: [GutSignal, boolean][] = [
    ["long_prompt", text.length >= LONG_PROMPT],
    ["multi_line", (text.match(/\n/g) ?? []).length >= 2],
    ["sequencing_connectors", connector],
    ["comma_enumeration", punctuation >= 2],
    ["compound_clauses", punctuation >= 2 || text.includes(":") || (connector && punctuation >= 1)],
  ]
  const signals = fired.filter(([, on]) => on).map(([signal]) => signal)
  return { signals, complexity: signals.length, shouldPlan: signals.length >= PLAN_THRESHOLD }
}
