import { describe, expect, it } from "vitest"
import { JournalEntry } from "../../schemas/index.ts"
import { dayOf, isoWeekOf, journalQuality, MemoryIndex, queryTerms, recall, rollups, summarize } from "../../src/domain/residents/journal.ts"

const DAY = 86_400_000
const T0 = Date.UTC(2025, 0, 6, 12) // Monday 2025-01-06, week 2025-W02
const words = (n: number, word = "plain") => Array.from({ length: n }, () => word).join(" ")
let seq = 0
const entry = (content: string, at = T0, over: Partial<JournalEntry> = {}): JournalEntry =>
  JournalEntry.parse({ id: `journal-${String(seq++).padStart(4, "0")}`, at, kind: "reflection", content, tier: "basic", ...over })

describe("journalQuality", () => {
  it("is basic under 50 words, whatever the markers", () => {
    expect(journalQuality(`${words(49)} realized learned`.split(" ").slice(0, 49).join(" ")).tier).toBe("basic")
    expect(journalQuality("I realized and learned and discovered a pattern").tier).toBe("basic")
  })

  it("is quality from 50 words with one marker, or from 150 words without", () => {
    expect(journalQuality(`${words(49)} learned`).tier).toBe("quality")
    expect(journalQuality(words(50)).tier).toBe("basic")
    expect(journalQuality(words(150)).tier).toBe("quality")
  })

  it("is exceptional from 150 words with two markers", () => {
    const q = journalQuality(`${words(148)} Realized patterns`)
    expect(q).toEqual({ tier: "exceptional", words: 150, markers: ["realized", "pattern"] })
    expect(journalQuality(`${words(149)} insight`).tier).toBe("quality")
    expect(journalQuality(`${words(147)} insight insight`).tier).toBe("quality") // one marker twice is still one
  })
})

describe("dates", () => {
  it("uses UTC days and ISO 8601 weeks (as Python's isocalendar)", () => {
    expect(dayOf(Date.UTC(2025, 0, 1, 23, 59))).toBe("2025-01-01")
    const cases: [string, string][] = [
      ["2021-01-03", "2020-W53"],
      ["2021-01-04", "2021-W01"],
      ["2024-12-30", "2025-W01"],
      ["2026-01-01", "2026-W01"],
      ["2027-01-01", "2026-W53"],
      ["2020-12-31", "2020-W53"],
    ]
    for (const [date, week] of cases) expect(isoWeekOf(Date.parse(`${date}T10:00:00Z`))).toBe(week)
  })
})

describe("rollups", () => {
  it("derives one daily and one weekly roll-up per period, newest first, with counts", () => {
    const entries = [entry("garden tomatoes grow", T0), entry("garden again", T0 + 1000), entry("compiler errors", T0 + DAY), entry("older garden notes", T0 - 7 * DAY)]
    const r = rollups(entries, T0 + 2 * DAY)
    expect(r.daily.map(d => [d.date, d.entries])).toEqual([
      ["2025-01-07", 1],
      ["2025-01-06", 2],
      ["2024-12-30", 1],
    ])
    expect(r.weekly.map(w => [w.week, w.entries])).toEqual([
      ["2025-W02", 3],
      ["2025-W01", 1],
    ])
    expect(r.daily[1]!.summary).toBe("themes: garden, tomatoes; recent: garden again | garden tomatoes grow")
  })

  it("keeps at most 45 days and 16 weeks, and ignores entries after now", () => {
    const entries = Array.from({ length: 200 }, (_, i) => entry(`day ${i}`, T0 - i * DAY))
    const r = rollups([...entries, entry("from the future", T0 + 3 * DAY)], T0)
    expect(r.daily).toHaveLength(45)
    expect(r.daily[0]!.date).toBe("2025-01-06")
    expect(r.daily[44]!.date).toBe(dayOf(T0 - 44 * DAY))
    expect(r.weekly).toHaveLength(16)
    expect(r.weekly[0]!.week).toBe("2025-W02")
    expect(JSON.stringify(r)).not.toContain("future")
  })

  it("does not depend on the order entries arrive in", () => {
    const entries = Array.from({ length: 30 }, (_, i) => entry(`entry ${i} about topic${i % 3} things`, T0 - (i % 7) * DAY + i))
    expect(rollups([...entries].reverse(), T0)).toEqual(rollups(entries, T0))
  })
})

describe("summarize", () => {
  it("lists the top 4 words of 5+ letters minus stopwords, then 2 recent 80-char snippets, within 220 chars", () => {
    const long = `${"zebra ".repeat(20)}${"x".repeat(200)}`
    const s = summarize([
      entry("tables tables tables chairs chairs lamps about about about about", T0),
      entry("chairs pillows shelves", T0 + 1),
      entry(long, T0 + 2),
    ])
    expect(s.startsWith("themes: zebra, chairs, tables, lamps; recent: ")).toBe(true)
    expect(s).not.toContain("about")
    expect(s.length).toBeLessThanOrEqual(220)
    expect(s).toContain(`${long.slice(0, 79)}… | chairs pillows shelves`)
  })

  it("cuts a long summary to 220 characters and says 'none' without themes", () => {
    expect(summarize([entry("a b c", T0)])).toBe("themes: none; recent: a b c")
    const s = summarize([entry("y".repeat(300), T0), entry("w".repeat(300), T0 + 1)])
    expect(s.length).toBe(220)
    expect(s.endsWith("…")).toBe(true)
  })
})

describe("recall", () => {
  const journal = [
    entry("Planted tomatoes in the north garden bed today.", T0 - 3 * DAY),
    entry("The compiler crashed on generics; I learned the fix is a type bound.", T0 - 2 * DAY),
    entry("Watered the tomatoes, the garden looks healthy.", T0 - DAY),
    entry("Reviewed a pull request about caching.", T0),
  ]

  it("takes query terms of 3+ letters or digits, lowercase, once", () => {
    expect(queryTerms("The TOMATOES, in a garden; go v2 tomatoes")).toEqual(["the", "tomatoes", "garden"])
  })

  it("ranks by relevance with the full-text index: both terms above one, a shorter text above a longer, prefixes match", () => {
    const r = recall(journal, "tomatoes garden", { limit: 12, maxChars: 2000 })
    const scores = r.items.map(i => i.score)
    expect(scores).toEqual([...scores].sort((a, b) => b - a))
    const entries = r.items.filter(i => i.source === "entry").map(i => i.text)
    expect(entries[0]).toContain("Watered the tomatoes, the garden")
    expect(entries.at(-1)).toContain("Planted tomatoes in the north garden bed")
    expect(entries.some(t => t.includes("compiler"))).toBe(false)
    expect(recall(journal, "compiler", {}).items.find(i => i.source === "entry")!.text).toContain("[2025-01-04 reflection] The compiler crashed")
    expect(recall(journal, "tomato", {}).items.length).toBeGreaterThan(0)
  })

  it("scores roll-up summaries as well as entries", () => {
    const sources = new Set(recall(journal, "tomatoes", { limit: 12, maxChars: 2000 }).items.map(i => i.source))
    expect(sources).toEqual(new Set(["entry", "day", "week"]))
  })

  it("returns nothing for a query without terms or without matches", () => {
    expect(recall(journal, "a an to", {})).toEqual({ items: [], text: "" })
    expect(recall(journal, "astronomy", {})).toEqual({ items: [], text: "" })
    expect(recall([], "tomatoes", {})).toEqual({ items: [], text: "" })
  })

  it("packs greedily within the budget (default 700, at least 160, at most 2000) and the limit (default 5, at most 12)", () => {
    const many = Array.from({ length: 30 }, (_, i) => entry(`note ${i} about tomatoes ${"z".repeat(i * 7)}`, T0 - i * 1000))
    const r = recall(many, "tomatoes")
    expect(r.items.length).toBeLessThanOrEqual(5)
    expect(r.text.length).toBeLessThanOrEqual(700)
    expect(recall(many, "tomatoes", { limit: 50, maxChars: 1_000_000 }).items.length).toBe(12)
    expect(recall(many, "tomatoes", { limit: 50, maxChars: 1_000_000 }).text.length).toBeLessThanOrEqual(2000)
    const tiny = recall(many, "tomatoes", { maxChars: 1 })
    expect(tiny.text.length).toBeLessThanOrEqual(160)
    expect(tiny.text.length).toBeGreaterThan(100) // the budget is raised to 160
    const long = Array.from({ length: 20 }, (_, i) => entry(`tomatoes ${"y".repeat(400)} ${i}`, T0 - i * 1000))
    const capped = recall(long, "tomatoes", { limit: 12, maxChars: 1_000_000 })
    expect(capped.text.length).toBeLessThanOrEqual(2000) // 12 lines of 300 would not fit
    expect(capped.text.length).toBeGreaterThan(1500)
  })

  it("skips a line that does not fit and takes a shorter one after it", () => {
    const a = entry(`tomatoes garden ${"a".repeat(60)}`, T0)
    const b = entry(`tomatoes garden ${"b".repeat(60)}`, T0 - DAY)
    const c = entry("tomatoes ok", T0 - 2 * DAY)
    const ranked = recall([a, b, c], "tomatoes garden", { maxChars: 2000, limit: 12 }).items.map(i => i.ref)
    const r = recall([a, b, c], "tomatoes garden", { maxChars: 300, limit: 12 })
    const packed = r.items.map(i => i.ref)
    expect(r.text.length).toBeLessThanOrEqual(300)
    // In ranked order, with a skipped line above one that still went in.
    expect(packed).toEqual(ranked.filter(ref => packed.includes(ref)))
    const skipped = ranked.findIndex(ref => !packed.includes(ref))
    expect(skipped).toBeGreaterThanOrEqual(0)
    expect(ranked.slice(skipped + 1).some(ref => packed.includes(ref))).toBe(true)
  })

  it("is deterministic and independent of entry order", () => {
    const a = recall(journal, "tomatoes garden compiler", { limit: 12, maxChars: 2000 })
    const b = recall([...journal].reverse(), "tomatoes garden compiler", { limit: 12, maxChars: 2000 })
    expect(b).toEqual(a)
  })

  it("finds an old memory among many newer ones: the index covers the whole journal, and keeps what it indexed between recalls", () => {
    const old = entry("ancient lighthouse memory", T0 - 100 * DAY)
    const newer = Array.from({ length: 500 }, (_, i) => entry(`recent note ${i} about the harbour`, T0 - i * 1000))
    const index = new MemoryIndex()
    const r = recall([old, ...newer], "lighthouse", { limit: 12 }, index)
    expect(r.items.find(i => i.source === "entry")?.ref).toBe(old.id)
    // A later recall with one more entry finds it too, from the same index.
    const later = entry("the lighthouse keeper waved", T0 + 1000)
    const again = recall([old, ...newer, later], "lighthouse keeper", { limit: 12 }, index)
    expect(again.items.find(i => i.source === "entry")?.ref).toBe(later.id)
    // An entry left out (a stale run's) is never recalled, though the index holds it.
    expect(recall(newer, "lighthouse", { limit: 12 }, index).items.filter(i => i.source === "entry")).toEqual([])
  })
})
