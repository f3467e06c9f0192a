/**
 * A resident's memory: each journal entry gets a quality tier,
 * daily and weekly roll-ups are derived from the entries (never stored, so they cannot
 * disagree with them after a merge), and recall ranks them against a query with a full-text
 * index and packs the best within a character budget. Everything is deterministic: dates are UTC, ties break by time.
 */
import MiniSearch from "minisearch"
import { isMeaningful } from "../../core/words.ts"
import type { JournalEntry } from "../../../schemas/index.ts"

export const INSIGHT_MARKERS = [
  "realized",
  "learned",
  "discovered",
  "insight",
  "breakthrough",
  "pattern",
  "connection",
  "understand",
  "mistake",
  "correction",
  "hypothesis",
  "theory",
  "observation",
  "evidence",
] as const

export type JournalTier = JournalEntry["tier"]

export interface JournalQuality {
  tier: JournalTier
  words: number
  /** The insight markers found (each once; "patterns" counts as "pattern"). */
  markers: string[]
}

/** < 50 words: basic; ≥ 150 words and ≥ 2 markers: exceptional; ≥ 150 words or ≥ 1 marker: quality. */
export function journalQuality(content: string): JournalQuality {
  const words = content.split(/\s+/).filter(Boolean).length
  const lower = content.toLowerCase()
  const markers = INSIGHT_MARKERS.filter(m => lower.includes(m))
  const tier: JournalTier = words < 50 ? "basic" : words >= 150 && markers.length >= 2 ? "exceptional" : words >= 150 || markers.length >= 1 ? "quality" : "basic"
  return { tier, words, markers }
}

// ── roll-ups ────────────────────────────────────────────────────────────────

export const ROLLUP_LIMITS = { daily: 45, weekly: 16, summary: 220, snippet: 80, themes: 4, recent: 2 } as const

export interface DailyRollup {
  date: string
  entries: number
  summary: string
}
export interface WeeklyRollup {
  /** ISO 8601 week, "2025-W03". */
  week: string
  entries: number
  summary: string
}
export interface Rollups {
  daily: DailyRollup[]
  weekly: WeeklyRollup[]
}

const DAY_MS = 86_400_000

/** "YYYY-MM-DD" in UTC, so every peer puts an entry on the same day. */
export const dayOf = (at: number): string => new Date(at).toISOString().slice(0, 10)

/** ISO 8601 week "YYYY-Www" in UTC (weeks start on Monday; week 1 holds the first Thursday). */
export function isoWeekOf(at: number): string {
  const day = Math.floor(at / DAY_MS)
  const weekday = (new Date(at).getUTCDay() + 6) % 7 // Monday = 0
  const thursday = new Date((day - weekday + 3) * DAY_MS)
  const year = thursday.getUTCFullYear()
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / DAY_MS / 7) + 1
  return `${year}-W${String(week).padStart(2, "0")}`
}

// Common words of five letters or more that say nothing about a theme.
const STOPWORDS = new Set(
  (
    "about above after again against almost along already although always among another anything around because become before being below between " +
    "cannot could doing during either enough every everything first further having however itself maybe might myself never other others ourselves " +
    "perhaps quite rather really since should something still their theirs them themselves there these thing things think those though three " +
    "through today together under until using where whether which while would yourself yours"
  ).split(" "),
)

/** "themes: <top 4 words ≥ 5 letters>; recent: <2 snippets>", at most 220 characters. */
export function summarize(entries: readonly JournalEntry[]): string {
  const counts = new Map<string, number>()
  for (const e of entries)
    for (const word of e.content.toLowerCase().match(/\p{L}{5,}/gu) ?? []) if (!STOPWORDS.has(word)) counts.set(word, (counts.get(word) ?? 0) + 1)
  const themes = [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, ROLLUP_LIMITS.themes)
    .map(([w]) => w)
  const recent = [...entries]
    .sort(newestFirst)
    .slice(0, ROLLUP_LIMITS.recent)
    .map(e => cut(e.content.replace(/\s+/g, " ").trim(), ROLLUP_LIMITS.snippet))
  return cut(`themes: ${themes.join(", ") || "none"}; recent: ${recent.join(" | ")}`, ROLLUP_LIMITS.summary)
}

/** Cuts to at most `max` characters, marking the cut, never splitting a surrogate pair. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text
  const head = text.slice(0, max - 1)
  return `${/[\ud800-\udbff]$/.test(head) ? head.slice(0, -1) : head}…`
}

const newestFirst = (a: JournalEntry, b: JournalEntry) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)

function groupBy(entries: readonly JournalEntry[], key: (at: number) => string): [string, JournalEntry[]][] {
  const groups = new Map<string, JournalEntry[]>()
  for (const e of entries) {
    const k = key(e.at)
    const list = groups.get(k)
    if (list) list.push(e)
    else groups.set(k, [e])
  }
  return [...groups].sort((a, b) => (a[0] < b[0] ? 1 : -1))
}

/**
 * The entries of the newest 45 days and 16 weeks that have any (all that the roll-ups read),
 * so a long journal costs what its recent periods hold.
 */
function newestPeriods(entries: readonly JournalEntry[]): JournalEntry[] {
  const sorted = [...entries].sort((a, b) => b.at - a.at)
  // UTC day numbers, and ISO week numbers (day 0, 1970-01-01, was a Thursday; weeks start on Monday).
  const days = new Set<number>()
  const weeks = new Set<number>()
  let n = 0
  for (; n < sorted.length; n++) {
    const day = Math.floor(sorted[n]!.at / DAY_MS)
    days.add(day)
    weeks.add(Math.floor((day + 3) / 7))
    if (days.size > ROLLUP_LIMITS.daily && weeks.size > ROLLUP_LIMITS.weekly) break
  }
  return sorted.slice(0, n)
}

/**
 * The newest 45 days and 16 weeks that have entries, newest first. Entries dated after
 * `now` (a peer whose clock runs ahead) wait until their time comes.
 */
export function rollups(entries: readonly JournalEntry[], now: number): Rollups {
  return rollupsOf(newestPeriods(entries.filter(e => e.at <= now)))
}

/** The roll-ups of entries already cut to the newest periods (newestPeriods). */
function rollupsOf(past: readonly JournalEntry[]): Rollups {
  return {
    daily: groupBy(past, dayOf)
      .slice(0, ROLLUP_LIMITS.daily)
      .map(([date, list]) => ({ date, entries: list.length, summary: summarize(list) })),
    weekly: groupBy(past, isoWeekOf)
      .slice(0, ROLLUP_LIMITS.weekly)
      .map(([week, list]) => ({ week, entries: list.length, summary: summarize(list) })),
  }
}

// ── recall ──────────────────────────────────────────────────────────────────

export const RECALL = { limit: 5, maxLimit: 12, maxChars: 700, minChars: 160, maxCharsCap: 2000, snippet: 300 } as const
/** The heading a worker puts above the recalled lines in a prompt. */
export const RECALL_HEADING = "TARGETED MEMORY RECALL (token-efficient)"

/** Best matches recall considers at most (with their ties): far more than a budget of lines holds. */
const RECALL_CANDIDATES = 200

export interface RecallOptions {
  /** How many items at most (default 5, at most 12). */
  limit?: number
  /** Character budget for the packed text (default 700, kept within 160..2000). */
  maxChars?: number
  /** The clock for roll-ups; defaults to the newest entry, so recall depends on the entries only. */
  now?: number
}

export interface RecallItem {
  source: "day" | "week" | "entry"
  /** The day, week or entry id. */
  ref: string
  score: number
  /** Newest entry time it covers. */
  at: number
  text: string
}

export interface Recall {
  items: RecallItem[]
  /** The items' lines joined by newlines, never longer than the budget. */
  text: string
}

/** Lowercase query words of at least 3 letters or digits, each once. */
export const queryTerms = (query: string): string[] => [...new Set(query.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? [])]

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, Math.floor(value)))

/**
 * A full-text index of one journal (MiniSearch: BM25 ranking, prefix matches, meaningful
 * words as src/core/words.ts reads them). It indexes each entry once, and the roll-ups as
 * they change, so a worker that keeps it between tasks pays only for what is new.
 */
export class MemoryIndex {
  readonly #search = new MiniSearch<{ id: string; text: string }>({
    fields: ["text"],
    processTerm: term => {
      const word = term.toLowerCase()
      return /^[\p{L}\p{N}]+$/u.test(word) && isMeaningful(word) ? word : null
    },
    tokenize: text => text.match(/[\p{L}\p{N}]+/gu) ?? [],
    searchOptions: { prefix: true, combineWith: "OR" },
  })
  readonly #entries = new Set<string>()
  /** Roll-up id → its summary as indexed. */
  readonly #rollups = new Map<string, string>()

  /** Indexes the entries not indexed yet (entries never change once written). */
  addEntries(entries: readonly JournalEntry[]): void {
    for (const e of entries) {
      if (this.#entries.has(e.id)) continue
      this.#search.add({ id: `entry:${e.id}`, text: e.content })
      this.#entries.add(e.id)
    }
  }

  /** Makes the index hold exactly these roll-ups (by id), replacing a changed summary. */
  setRollups(rollups: ReadonlyMap<string, string>): void {
    for (const [id, text] of this.#rollups) if (rollups.get(id) !== text) {
      this.#search.discard(id)
      this.#rollups.delete(id)
    }
    for (const [id, text] of rollups) if (!this.#rollups.has(id)) {
      this.#search.add({ id, text })
      this.#rollups.set(id, text)
    }
  }

  /**
   * Scores of the documents matching any meaningful word of `query`, by id, best first: the
   * best `keep`, and any others scoring the same as the last of them (so ties are broken by
   * the caller, the same way whatever order the entries came in).
   */
  scores(query: string, keep = Infinity): [string, number][] {
    const results = this.#search.search(query)
    const floor = results[Math.min(keep, results.length) - 1]?.score ?? 0
    return results.filter((r, i) => i < keep || r.score === floor).map(r => [String(r.id), r.score])
  }
}

/**
 * Ranks every entry and the daily and weekly roll-up summaries against the query with the
 * journal's full-text index (`index`, kept by the caller between recalls; a fresh one when
 * absent), then packs the best lines greedily into the budget: a line that does not fit is
 * skipped and a shorter one after it may still go in. Each line is cut to 300 characters (and
 * to the budget), so the best match always fits. Entries left out of `entries` (a stale run's)
 * stay in the index but are never recalled.
 */
export function recall(entries: readonly JournalEntry[], query: string, opts: RecallOptions = {}, index: MemoryIndex = new MemoryIndex()): Recall {
  const limit = clamp(opts.limit ?? RECALL.limit, 1, RECALL.maxLimit)
  const budget = clamp(opts.maxChars ?? RECALL.maxChars, RECALL.minChars, RECALL.maxCharsCap)
  if (!queryTerms(query).length || !entries.length) return { items: [], text: "" }
  const now = opts.now ?? entries.reduce((max, e) => Math.max(max, e.at), 0)
  const past = entries.filter(e => e.at <= now)
  const recent = newestPeriods(past)
  const { daily, weekly } = rollupsOf(recent)
  // The newest entry of each day and week: its age among roll-ups of equal score.
  const newest = new Map<string, number>()
  for (const e of recent) for (const k of [dayOf(e.at), isoWeekOf(e.at)]) newest.set(k, Math.max(newest.get(k) ?? 0, e.at))
  const line = (text: string) => cut(text.replace(/\s+/g, " ").trim(), Math.min(RECALL.snippet, budget))
  type Candidate = Omit<RecallItem, "score" | "text"> & { text: () => string }
  const candidates = new Map<string, Candidate>()
  for (const d of daily) candidates.set(`day:${d.date}`, { source: "day", ref: d.date, at: newest.get(d.date) ?? 0, text: () => line(`[day ${d.date}] ${d.summary}`) })
  for (const w of weekly) candidates.set(`week:${w.week}`, { source: "week", ref: w.week, at: newest.get(w.week) ?? 0, text: () => line(`[week ${w.week}] ${w.summary}`) })
  index.addEntries(past)
  index.setRollups(new Map([...daily.map(d => [`day:${d.date}`, d.summary] as const), ...weekly.map(w => [`week:${w.week}`, w.summary] as const)]))
  const byId = new Map(past.map(e => [`entry:${e.id}`, e]))
  const candidate = (id: string): Candidate | undefined => {
    const known = candidates.get(id)
    if (known) return known
    const e = byId.get(id)
    return e && { source: "entry", ref: e.id, at: e.at, text: () => line(`[${dayOf(e.at)} ${e.kind}] ${e.content}`) }
  }
  // Equal scores: an entry (the memory itself) before a day before a week, then the newer one.
  const order = { entry: 0, day: 1, week: 2 }
  // Enough of the best to pack the budget even when long lines are skipped.
  const scored = index
    .scores(query, RECALL_CANDIDATES)
    .flatMap(([id, score]) => {
      const c = candidate(id)
      return c ? [{ ...c, score }] : []
    })
    .sort((a, b) => b.score - a.score || order[a.source] - order[b.source] || b.at - a.at || (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0))
  const items: RecallItem[] = []
  let used = 0
  for (const c of scored) {
    if (items.length >= limit) break
    const text = c.text()
    const cost = text.length + (items.length ? 1 : 0)
    if (used + cost > budget) continue
    items.push({ source: c.source, ref: c.ref, at: c.at, text, score: c.score })
    used += cost
  }
  return { items, text: items.map(i => i.text).join("\n") }
}
