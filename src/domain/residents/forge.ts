/**
 * The identity forge's rules: names that never name a
 * role, no duplicates or near-duplicates of an existing resident, single-use creativity
 * seeds, tidy attribute lists, and the level derived from sessions. Pure: the caller
 * passes the existing identities and used seeds (src/domain/residents/actions.ts).
 */
import { CreativitySeed, type Identity } from "../../../schemas/index.ts"
import { UserError, type ErrorCode } from "../../core/errors.ts"

/** A refused forge, with the catalogue's sentence and next step (src/core/errors.ts). */
export class ForgeError<C extends ErrorCode = ErrorCode> extends UserError<C> {
  override readonly name = "ForgeError"
}

/** Words a resident's name must not contain (whole words, any case). */
export const BANNED_NAME_WORDS = [
  "resident",
  "identity",
  "persona",
  "person",
  "individual",
  "self",
  "character",
  "avatar",
  "agent",
  "worker",
  "profile",
  "npc",
] as const

/** Near-duplicate thresholds (SequenceMatcher ratio); statement and summary need ≥ 20 chars on both sides. */
export const SIMILARITY = { name: 0.9, statement: 0.93, summary: 0.95, minTextLength: 20 } as const

/** Operators may give up to 10 items per list; generated identities keep the reference's caps. */
export const LIST_CAP = 10
export const GENERATED_CAPS = { traits: 8, values: 8, activities: 6 } as const

/** The banned word a name contains, if any. Words are runs of letters: "agent_7" contains "agent". */
export function bannedWordIn(name: string): string | undefined {
  const words = new Set(name.toLowerCase().split(/[^\p{L}]+/u))
  return BANNED_NAME_WORDS.find(w => words.has(w))
}

/** Lowercase letters, digits and single spaces only: "Ada  Lovelace!" → "ada lovelace". */
export function normalizeName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^\p{L}\p{N} ]+/gu, "")
    .replace(/ +/g, " ")
    .trim()
}

const normalizeText = (text: string): string => text.toLowerCase().replace(/\s+/g, " ").trim()

/**
 * Python difflib's `SequenceMatcher(None, a, b).ratio()` (Ratcliff/Obershelp): twice the
 * characters in matching blocks over the total length. Like difflib it compares code
 * points and, when `b` has 200 or more of them, treats characters that make up over 1 %
 * of `b` as "popular" (autojunk), so results match the reference's thresholds exactly.
 */
export function similarityRatio(a: string, b: string): number {
  const x = Array.from(a)
  const y = Array.from(b)
  const total = x.length + y.length
  if (total === 0) return 1
  const b2j = new Map<string, number[]>()
  y.forEach((c, j) => {
    const list = b2j.get(c)
    if (list) list.push(j)
    else b2j.set(c, [j])
  })
  if (y.length >= 200) {
    const limit = Math.floor(y.length / 100) + 1
    for (const [c, list] of b2j) if (list.length > limit) b2j.delete(c)
  }
  const longest = (alo: number, ahi: number, blo: number, bhi: number): [number, number, number] => {
    let [bi, bj, size] = [alo, blo, 0]
    let lengths = new Map<number, number>()
    for (let i = alo; i < ahi; i++) {
      const next = new Map<number, number>()
      for (const j of b2j.get(x[i]!) ?? []) {
        if (j < blo) continue
        if (j >= bhi) break
        const k = (lengths.get(j - 1) ?? 0) + 1
        next.set(j, k)
        if (k > size) [bi, bj, size] = [i - k + 1, j - k + 1, k]
      }
      lengths = next
    }
    // Popular characters are not indexed; like difflib, grow the match over them.
    while (bi > alo && bj > blo && x[bi - 1] === y[bj - 1]) [bi, bj, size] = [bi - 1, bj - 1, size + 1]
    while (bi + size < ahi && bj + size < bhi && x[bi + size] === y[bj + size]) size++
    return [bi, bj, size]
  }
  let matched = 0
  const queue: [number, number, number, number][] = [[0, x.length, 0, y.length]]
  while (queue.length) {
    const [alo, ahi, blo, bhi] = queue.pop()!
    const [i, j, k] = longest(alo, ahi, blo, bhi)
    if (!k) continue
    matched += k
    if (alo < i && blo < j) queue.push([alo, i, blo, j])
    if (i + k < ahi && j + k < bhi) queue.push([i + k, ahi, j + k, bhi])
  }
  return (2 * matched) / total
}

const percent = (ratio: number) => Math.floor(ratio * 100)

export interface ForgeCandidate {
  name: string
  summary?: string | undefined
  statement?: string | undefined
  seed: string
}

/**
 * Refuses a candidate that breaks a naming rule or reuses a seed (throws ForgeError naming
 * the rule and, for a clash, the identity it clashes with). `usedSeeds` maps seed → the
 * identity that used it.
 */
export function checkForge(candidate: ForgeCandidate, existing: Iterable<Identity>, usedSeeds: ReadonlyMap<string, string>): void {
  const banned = bannedWordIn(candidate.name)
  if (banned) throw new ForgeError("name_banned_word", { name: candidate.name, word: banned, banned: BANNED_NAME_WORDS })
  if (!isSeed(candidate.seed)) throw new ForgeError("seed_invalid", { seed: candidate.seed })
  const seedOwner = usedSeeds.get(candidate.seed)
  if (seedOwner !== undefined) throw new ForgeError("seed_used", { seed: candidate.seed, owner: seedOwner })
  const name = normalizeName(candidate.name)
  const statement = candidate.statement ? normalizeText(candidate.statement) : ""
  const summary = candidate.summary ? normalizeText(candidate.summary) : ""
  for (const other of existing) {
    const who = `"${other.name}" (${other.id})`
    const otherName = normalizeName(other.name)
    if (name === otherName) throw new ForgeError("name_taken", { name: candidate.name, other: who })
    const nameRatio = similarityRatio(name, otherName)
    if (nameRatio >= SIMILARITY.name) throw new ForgeError("name_too_similar", { name: candidate.name, other: who, percent: percent(nameRatio) })
    const texts = [
      ["statement", statement, other.statement, SIMILARITY.statement],
      ["summary", summary, other.summary, SIMILARITY.summary],
    ] as const
    for (const [field, mine, theirs, threshold] of texts) {
      const against = theirs ? normalizeText(theirs) : ""
      if (mine.length < SIMILARITY.minTextLength || against.length < SIMILARITY.minTextLength) continue
      const ratio = similarityRatio(mine, against)
      if (ratio >= threshold) throw new ForgeError("text_too_similar", { field, other: who, percent: percent(ratio) })
    }
  }
}

// ── creativity seeds ────────────────────────────────────────────────────────

const SEED_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"

export const isSeed = (value: string): boolean => CreativitySeed.safeParse(value).success

/** A random seed `AA-1234-BB` (letters without I and O). */
export function generateSeed(random: () => number = Math.random): string {
  const pick = (chars: string) => chars[Math.min(chars.length - 1, Math.floor(random() * chars.length))]!
  const letters = () => pick(SEED_LETTERS) + pick(SEED_LETTERS)
  const digits = () => Array.from({ length: 4 }, () => pick("0123456789")).join("")
  return `${letters()}-${digits()}-${letters()}`
}

/** A seed not in `used` (3.3 billion exist, so a few draws suffice). */
export function freshSeed(used: ReadonlyMap<string, unknown>, random: () => number = Math.random): string {
  for (let tries = 0; tries < 1000; tries++) {
    const seed = generateSeed(random)
    if (!used.has(seed)) return seed
  }
  throw new ForgeError("seed_exhausted")
}

// ── attributes and continuity ───────────────────────────────────────────────

/** Trims, drops blanks and repeats (ignoring case, first spelling wins), and keeps at most `max`. */
export function cleanList(items: readonly string[], max = Infinity): string[] {
  const seen = new Set<string>()
  const out: string[] = []
  for (const raw of items) {
    const item = raw.trim()
    const key = item.toLowerCase()
    if (!item || seen.has(key)) continue
    seen.add(key)
    out.push(item)
  }
  return out.slice(0, max)
}

/** The level shown for a resident: max(1, ⌊√sessions⌋). */
export const level = (sessions: number): number => Math.max(1, Math.floor(Math.sqrt(Math.max(0, sessions))))
