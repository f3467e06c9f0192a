/**
 * A resident's context for one task, assembled in a fixed order within a character budget:
 * who it is, its wallet and what things cost, what it remembers about the task, its rooms
 * and unanswered mail, its open quests and bounties, the skill chosen and the hat it wears,
 * then the closing rules. Identity, the hat and the closing rules are never cut (who a resident
 * is is never compressed); every other section keeps the lines that still fit, in its own
 * order, so the budget decides how much of each reaches the model.
 */

export const CONTEXT_ORDER = ["identity", "wallet", "memory", "rooms", "mail", "quests", "skill", "hat", "closing"] as const
export type ContextSectionName = (typeof CONTEXT_ORDER)[number]

/** Characters of context a task gets unless told otherwise (about 1,500 tokens). */
export const DEFAULT_CONTEXT_BUDGET = 6_000

export interface ContextSection {
  name: ContextSectionName
  /** A line put before the section's lines, counted with them; left out with them when none fit. */
  heading?: string
  lines: readonly string[]
}

export interface SectionUse {
  name: ContextSectionName
  /** Lines the section offered and how many went in. */
  offered: number
  kept: number
  chars: number
}

export interface AssembledContext {
  text: string
  budget: number
  sections: SectionUse[]
}

/** Never cut: who the resident is, the skill it follows, the hat it wears (its rules say the core wins), the closing rules. */
const WHOLE: ReadonlySet<ContextSectionName> = new Set(["identity", "skill", "hat", "closing"])
const linesOf = (s: ContextSection) => (s.heading ? [s.heading, ...s.lines] : [...s.lines])
/** A line's cost: its characters and the newline that joins it. */
const cost = (line: string) => line.length + 1

export function assembleContext(sections: readonly ContextSection[], budget = DEFAULT_CONTEXT_BUDGET): AssembledContext {
  const ordered = [...sections].filter(s => s.lines.length).sort((a, b) => CONTEXT_ORDER.indexOf(a.name) - CONTEXT_ORDER.indexOf(b.name))
  let left = budget - ordered.filter(s => WHOLE.has(s.name)).reduce((sum, s) => sum + linesOf(s).reduce((n, l) => n + cost(l), 0), 0)
  const kept = new Map<ContextSection, string[]>()
  for (const section of ordered) {
    if (WHOLE.has(section.name)) {
      kept.set(section, linesOf(section))
      continue
    }
    const heading = section.heading ? cost(section.heading) : 0
    const lines: string[] = []
    let used = heading
    for (const line of section.lines) {
      if (left - used - cost(line) < 0) continue
      lines.push(line)
      used += cost(line)
    }
    if (!lines.length) continue
    kept.set(section, section.heading ? [section.heading, ...lines] : lines)
    left -= used
  }
  const parts = ordered.filter(s => kept.has(s)).flatMap(s => kept.get(s)!)
  return {
    text: parts.join("\n"),
    budget,
    sections: ordered.map(s => {
      const lines = kept.get(s) ?? []
      const body = s.heading && lines.length ? lines.length - 1 : lines.length
      return { name: s.name, offered: s.lines.length, kept: body, chars: lines.reduce((n, l) => n + cost(l), 0) }
    }),
  }
}
