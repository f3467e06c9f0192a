/**
 * What the command palette offers and how it ranks them against what is typed: views, tasks,
 * quests, residents and rooms by name, and a few actions. Pure, so the ranking is tested
 * without a browser.
 */

export type CommandKind = "action" | "view" | "task" | "quest" | "resident" | "room"

export interface Command {
  /** Unique across the palette (`task:<id>` …). */
  id: string
  kind: CommandKind
  label: string
  /** Shown beside the label and searched too (a status, an id, a resident). */
  detail?: string
  /** Where the command goes; actions have none (the palette runs them). */
  to?: string
  /** Most recent first when nothing is typed (task update time …). */
  recency?: number
}

/** Ties go to the kinds one most often means: actions and views before records. */
const KIND_ORDER: Record<CommandKind, number> = { action: 0, view: 1, task: 2, quest: 3, resident: 4, room: 5 }

/** Lower case, without accents, so "cafe" finds "Café". */
export function fold(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase()
}

/** The typed words, folded, each with the pattern of a word of a label starting with it. */
interface Words {
  list: { word: string; wordStart: RegExp }[]
  joined: string
}

function wordsOf(query: string): Words {
  const words = fold(query).split(/\s+/).filter(Boolean)
  return { list: words.map(word => ({ word, wordStart: new RegExp(`(^|[^\\p{L}\\p{N}])${escapeRegExp(word)}`, "u") })), joined: words.join(" ") }
}

/** Folded label and detail per command: a palette searches the same commands at every keystroke. */
const folded = new WeakMap<Command, { label: string; detail: string }>()
function foldedOf(command: Command): { label: string; detail: string } {
  let f = folded.get(command)
  if (!f) folded.set(command, (f = { label: fold(command.label), detail: fold(command.detail ?? "") }))
  return f
}

function scoreWords(command: Command, words: Words): number | undefined {
  const { label, detail } = foldedOf(command)
  let total = 0
  for (const { word, wordStart } of words.list) {
    if (label.startsWith(word)) total += 8
    else if (wordStart.test(label)) total += 5
    else if (label.includes(word)) total += 3
    else if (detail.includes(word)) total += 1
    else return undefined
  }
  if (words.list.length && label === words.joined) total += 4
  return total
}

/**
 * How well `command` matches the words of `query` (higher is better), or undefined when one
 * word is missing. The label starting with the query beats a word of it starting with it,
 * which beats the query appearing anywhere; the detail counts for less than the label.
 */
export function score(command: Command, query: string): number | undefined {
  return scoreWords(command, wordsOf(query))
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/**
 * The commands to show for `query`, best first, at most `limit`. With nothing typed: the
 * actions and views, then the most recent records of each kind.
 */
export function searchCommands(commands: readonly Command[], query: string, limit = 30): Command[] {
  if (!query.trim()) {
    const fixed = commands.filter(c => c.kind === "action" || c.kind === "view")
    const recent = commands.filter(c => c.kind !== "action" && c.kind !== "view").sort((a, b) => (b.recency ?? 0) - (a.recency ?? 0))
    return [...fixed, ...recent].slice(0, limit)
  }
  const words = wordsOf(query)
  return commands
    .flatMap(command => {
      const s = scoreWords(command, words)
      return s === undefined ? [] : [{ command, s }]
    })
    .sort((a, b) => b.s - a.s || KIND_ORDER[a.command.kind] - KIND_ORDER[b.command.kind] || (b.command.recency ?? 0) - (a.command.recency ?? 0) || a.command.label.localeCompare(b.command.label))
    .slice(0, limit)
    .map(r => r.command)
}
