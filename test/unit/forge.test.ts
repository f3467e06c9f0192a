import { describe, expect, it } from "vitest"
import { Identity } from "../../schemas/index.ts"
import {
  bannedWordIn,
  BANNED_NAME_WORDS,
  checkForge,
  cleanList,
  ForgeError,
  freshSeed,
  generateSeed,
  isSeed,
  level,
  normalizeName,
  similarityRatio,
  type ForgeCandidate,
} from "../../src/domain/residents/forge.ts"

const identity = (over: Partial<Identity> & Pick<Identity, "id" | "name">): Identity =>
  Identity.parse({
    createdAt: 1,
    createdBy: "alice",
    core: { traits: [], values: [] },
    mutable: {},
    profile: { bio: "" },
    continuity: { sessions: 0, tasksCompleted: 0, tasksFailed: 0, level: 1 },
    ...over,
  })

const NO_SEEDS = new Map<string, string>()
const candidate = (over: Partial<ForgeCandidate> = {}): ForgeCandidate => ({ name: "Ada Lovelace", seed: "AB-1234-CD", ...over })
const refusal = (fn: () => void): ForgeError => {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(ForgeError)
    return error as ForgeError
  }
  throw new Error("expected a ForgeError")
}

describe("similarityRatio (Python difflib SequenceMatcher(None, a, b).ratio())", () => {
  // Values computed with CPython 3's difflib.
  it.each([
    ["abcd", "bcde", 0.75],
    ["ada lovelace", "ada lovelaces", 0.96],
    ["qabxcd", "abycdf", 2 / 3],
    ["private thomas", "private tomas", 0.9629629629629629],
    ["tide", "diet", 0.25],
    ["diet", "tide", 0.5],
    ["i am a careful builder who loves proofs", "i am a careful builder who loves proof", 0.987012987012987],
    ["", "", 1],
    ["a", "", 0],
  ])("ratio(%j, %j) = %d", (a, b, expected) => {
    expect(similarityRatio(a, b)).toBeCloseTo(expected, 12)
  })

  it("applies difflib's autojunk to a second string of 200+ characters, as Python does", () => {
    // Python: 0.0 with autojunk (the default), 0.5714… without it.
    expect(similarityRatio("ab".repeat(60) + "c".repeat(90), "c".repeat(90) + "ab".repeat(60))).toBe(0)
    expect(similarityRatio("x ".repeat(150), " x".repeat(150))).toBe(0)
    // 199 characters: no autojunk, Python gives 0.6030150753768844.
    expect(similarityRatio("ab".repeat(60) + "c".repeat(79), "c".repeat(79) + "ab".repeat(60))).toBeCloseTo(0.6030150753768844, 12)
  })

  it("compares code points, not UTF-16 units", () => {
    expect(similarityRatio("😀ab", "😀ac")).toBeCloseTo(2 / 3, 12)
  })
})

describe("naming rules", () => {
  it.each(BANNED_NAME_WORDS.map(w => [w]))("refuses a name containing the banned word %s, saying which words to leave out", word => {
    const name = `The ${word.toUpperCase()} of Ink`
    const error = refusal(() => checkForge(candidate({ name }), [], NO_SEEDS))
    expect(error.code).toBe("name_banned_word")
    expect(error.message).toBe(`The name "${name}" contains "${word}", and a resident's name must not name a role.`)
    expect(error.next).toBe(`Choose a name without any of these words: ${BANNED_NAME_WORDS.join(", ")}.`)
  })

  it("bans whole words only, but letters-only runs count as words", () => {
    expect(bannedWordIn("Selfridge Agentha")).toBeUndefined()
    expect(bannedWordIn("agent_7")).toBe("agent")
    expect(bannedWordIn("Mr-Self")).toBe("self")
    expect(() => checkForge(candidate({ name: "Personable Npcx" }), [], NO_SEEDS)).not.toThrow()
  })

  it("normalizes names to lowercase letters, digits and single spaces", () => {
    expect(normalizeName("  Ada   Lovelace!! ")).toBe("ada lovelace")
    expect(normalizeName("Zoë-Ünal 2")).toBe("zoëünal 2")
  })

  it("refuses an exact duplicate after normalization, naming the resident", () => {
    const ada = identity({ id: "ada", name: "Ada Lovelace" })
    const error = refusal(() => checkForge(candidate({ name: "ada  lovelace!" }), [ada], NO_SEEDS))
    expect(error).toMatchObject({ code: "name_taken", next: "Choose a completely different name and forge again." })
    expect(error.message).toMatch(/already taken by "Ada Lovelace" \(ada\)/)
  })

  it("refuses a name at least 90 % alike and accepts one below", () => {
    const ada = identity({ id: "ada", name: "Ada Lovelace" })
    // "ada lovelaces" vs "ada lovelace": 0.96
    expect(refusal(() => checkForge(candidate({ name: "Ada Lovelaces" }), [ada], NO_SEEDS)).message).toBe(`The name "Ada Lovelaces" is too close to "Ada Lovelace" (ada): 96 % alike.`)
    // "ada lovelock" vs "ada lovelace": 0.8333
    expect(similarityRatio("ada lovelock", "ada lovelace")).toBeLessThan(0.9)
    expect(() => checkForge(candidate({ name: "Ada Lovelock" }), [ada], NO_SEEDS)).not.toThrow()
  })

  it("refuses a statement ≥ 93 % alike and a summary ≥ 95 % alike, only when both are 20+ characters", () => {
    const statement = "I build careful proofs and kind tools."
    const summary = "A patient mathematician who writes everything down twice."
    const ada = identity({ id: "ada", name: "Ada", statement, summary })
    expect(refusal(() => checkForge(candidate({ name: "Grace", statement: statement.replace("kind", "kinds") }), [ada], NO_SEEDS)).message).toMatch(
      /statement is too close to that of "Ada" \(ada\)/,
    )
    expect(refusal(() => checkForge(candidate({ name: "Grace", summary: summary.replace("twice", "twice!") }), [ada], NO_SEEDS)).message).toMatch(
      /summary is too close/,
    )
    // A summary 93–95 % alike passes (only the statement threshold is that low).
    const near = "A patient mathematician who writes all things down twice."
    const ratio = similarityRatio(near.toLowerCase(), summary.toLowerCase())
    expect(ratio).toBeGreaterThanOrEqual(0.85)
    expect(ratio).toBeLessThan(0.95)
    expect(() => checkForge(candidate({ name: "Grace", summary: near }), [ada], NO_SEEDS)).not.toThrow()
    // Short texts are never compared.
    const short = identity({ id: "bo", name: "Bo", statement: "I am short.", summary: "tiny" })
    expect(() => checkForge(candidate({ name: "Cy", statement: "I am short.", summary: "tiny" }), [short], NO_SEEDS)).not.toThrow()
  })
})

describe("creativity seeds", () => {
  it("generates AA-1234-BB seeds without I or O", () => {
    const seeds = Array.from({ length: 500 }, () => generateSeed())
    for (const seed of seeds) {
      expect(seed).toMatch(/^[A-HJ-NP-Z]{2}-\d{4}-[A-HJ-NP-Z]{2}$/)
      expect(isSeed(seed)).toBe(true)
    }
    expect(generateSeed(() => 0)).toBe("AA-0000-AA")
    expect(generateSeed(() => 0.9999999)).toBe("ZZ-9999-ZZ")
  })

  it("isSeed refuses other shapes", () => {
    for (const bad of ["AI-1234-BC", "AB-123-CD", "ab-1234-cd", "AB-1234-CO", "AB1234CD", ""]) expect(isSeed(bad)).toBe(false)
  })

  it("refuses a seed already used, naming its owner; freshSeed draws an unused one", () => {
    const used = new Map([["AB-1234-CD", "ada"]])
    expect(refusal(() => checkForge(candidate(), [], used)).message).toMatch(/seed AB-1234-CD already belongs to ada/)
    expect(() => checkForge(candidate({ seed: "AB-1234-CE" }), [], used)).not.toThrow()
    expect(refusal(() => checkForge(candidate({ seed: "nope" }), [], NO_SEEDS)).message).toMatch(/not a creativity seed/)
    const draws = [0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    const taken = new Map([["AA-0000-AA", "ada"]])
    expect(freshSeed(taken, () => draws.shift() ?? 0.5)).toBe("NN-5555-NN")
  })
})

describe("lists and level", () => {
  it("cleanList trims, drops blanks and repeats ignoring case, keeps the first spelling, caps", () => {
    expect(cleanList([" Curious ", "", "exact", "curious", "EXACT", "bold"])).toEqual(["Curious", "exact", "bold"])
    expect(cleanList(["a", "b", "c"], 2)).toEqual(["a", "b"])
  })

  it("level = max(1, floor(sqrt(sessions)))", () => {
    expect([0, 1, 3, 4, 8, 9, 99, 100].map(level)).toEqual([1, 1, 1, 2, 2, 3, 9, 10])
  })
})
