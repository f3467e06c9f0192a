import { describe, expect, it } from "vitest"
import { AUTO_APPROVE_MIN_CONFIDENCE, critique, routeReview, type Critique, type CriticInput } from "../../src/domain/tasks/critic.ts"
import { MAX_REVIEW_ATTEMPTS } from "../../src/core/defaults.ts"

const ANSWER = "The function returns the sum of both arguments and handles negative numbers."
const llm = (output: string, over: Partial<CriticInput> = {}) => critique({ mode: "llm", output, ...over })
const local = (output: string, exitCode: number | null = 0) => critique({ mode: "local", output, exitCode })

const APPROVE: Critique = { verdict: "approve", confidence: 0.95, issues: [] }
const MINOR: Critique = { verdict: "minor_issues", confidence: 0.75, issues: ["very short answer"] }
const REJECT: Critique = { verdict: "reject", confidence: 0.9, issues: ["empty output"] }
const controls = { reviewEverything: false }

describe("critique: rejections", () => {
  it("empty output is rejected", () => {
    expect(llm("")).toEqual({ verdict: "reject", confidence: 0.9, issues: ["empty output"] })
  })

  it("whitespace-only output counts as empty and is rejected", () => {
    expect(llm("  \n\t  ")).toMatchObject({ verdict: "reject", issues: ["empty output"] })
  })

  it("a command that succeeded with no output is a valid result: the exit status decides, not the length", () => {
    expect(local("", 0)).toEqual(APPROVE)
    expect(local("  \n", 0)).toEqual(APPROVE)
    expect(local("", 1).issues).toEqual(["empty output", "command exited with code 1"])
    expect(local("", null).issues).toEqual(["empty output"])
  })

  it("a non-zero exit code is rejected, even with normal-looking output", () => {
    const c = local("total 8\ndrwxr-xr-x 2 me me 4096 .", 2)
    expect(c.verdict).toBe("reject")
    expect(c.issues).toEqual(["command exited with code 2"])
  })

  it("exit code 0 or no exit code at all is not an issue", () => {
    expect(local("total 8\ndrwxr-xr-x 2 me me 4096 .", 0).verdict).toBe("approve")
    expect(local("total 8\ndrwxr-xr-x 2 me me 4096 .", null).verdict).toBe("approve")
    expect(critique({ mode: "local", output: "total 8\ndrwxr-xr-x 2 me me 4096 ." }).verdict).toBe("approve")
  })

  it("a Python traceback is rejected", () => {
    const c = llm('Traceback (most recent call last):\n  File "x.py", line 1\nValueError: bad')
    expect(c.verdict).toBe("reject")
    expect(c.issues).toContain("output contains a Python traceback")
  })

  it("a line starting with 'Error:' is rejected, also further down the output", () => {
    expect(llm("Error: could not connect to the database")).toMatchObject({ verdict: "reject", issues: ["output reports an error"] })
    expect(llm("Running the migration now.\n  error : relation users does not exist").issues).toContain("output reports an error")
    for (const word of ["fatal", "exception", "panic"]) expect(llm(`${word}: it broke badly, nothing was done`).verdict).toBe("reject")
  })

  it("the word 'error' inside a sentence is not an error marker", () => {
    expect(llm("The error handling now retries twice before giving up.").verdict).toBe("approve")
  })

  it("'command not found', 'No such file or directory' and 'Permission denied' are rejected", () => {
    for (const out of ["bash: jq: command not found", "cat: notes.md: No such file or directory", "mkdir: /etc/x: Permission denied"]) {
      const c = local(out)
      expect(c.verdict, out).toBe("reject")
      expect(c.issues, out).toEqual(["output reports a failed command"])
    }
  })

  it("a refusal at the start is rejected", () => {
    for (const out of ["I'm sorry, but I can't help with that.", "I am sorry, I cannot do this task for you."]) {
      const c = llm(out)
      expect(c.verdict, out).toBe("reject")
      expect(c.issues, out).toContain("the model refused the task")
    }
  })

  it("a refusal with typographic apostrophes (as gpt-oss writes it) is rejected too", () => {
    // BUG: the refusal pattern only knows the ASCII apostrophe (').
    expect(llm("I’m sorry, but I can’t help with that.")).toMatchObject({ verdict: "reject", issues: ["the model refused the task"] })
  })

  it("several problems are all reported", () => {
    const c = local("Traceback (most recent call last):\nError: x", 1)
    expect(c.verdict).toBe("reject")
    expect(c.issues).toEqual(["command exited with code 1", "output contains a Python traceback", "output reports an error"])
  })
})

describe("critique: planning text instead of a result", () => {
  it("an answer that starts with 'I will …' is rejected", () => {
    expect(llm("I will write the document describing the architecture.")).toMatchObject({
      verdict: "reject",
      issues: ["output is planning text instead of a result"],
    })
  })

  it("'I'll', 'Let me', 'Here is the plan', 'Here is my plan' and 'The document will' at the start are rejected", () => {
    for (const out of [
      "I'll start by reading the files and then summarise them.",
      "Let me think about how to structure the answer first.",
      "Here is the plan: first read, then write.",
      "here is my plan for the migration",
      "The document will describe every endpoint.",
      "   \n  I am going to refactor the module next.",
    ])
      expect(llm(out).issues, out).toContain("output is planning text instead of a result")
  })

  it("'Proposal:' at the start is rejected", () => {
    // BUG: PLANNING ends with \b, and there is no word boundary after the ':' of "proposal:".
    expect(llm("Proposal: add a cache in front of the API and measure again.")).toMatchObject({
      verdict: "reject",
      issues: ["output is planning text instead of a result"],
    })
  })

  it("'I’ll …' with a typographic apostrophe at the start is rejected too", () => {
    // BUG: like the refusal marker, the planning pattern only knows the ASCII apostrophe.
    expect(llm("I’ll write the document once I have read the code.").issues).toContain("output is planning text instead of a result")
  })

  it("'I will' later in a real answer is fine", () => {
    expect(llm(`${ANSWER} I will note that zero is treated as positive.`)).toEqual(APPROVE)
  })
})

describe("critique: claimed artifacts", () => {
  it("a claimed file that does not exist is rejected", () => {
    const seen: string[] = []
    const c = llm("Created the file `docs/notes.md` with the meeting summary.", {
      artifactExists: p => {
        seen.push(p)
        return false
      },
    })
    expect(seen).toEqual(["docs/notes.md"])
    expect(c).toEqual({ verdict: "reject", confidence: 0.9, issues: ["claimed artifact docs/notes.md is missing"] })
  })

  it("a claimed file that exists is fine", () => {
    expect(llm("Created the file `docs/notes.md` with the meeting summary.", { artifactExists: p => p === "docs/notes.md" })).toEqual(APPROVE)
  })

  it("every claimed file is checked (wrote / saved / generated), and only missing ones are reported", () => {
    const present = new Set(["report.txt", "out/data.csv"])
    const c = llm("I wrote notes.md, saved report.txt and generated 'out/data.csv' for you.", { artifactExists: p => present.has(p) })
    expect(c).toEqual({ verdict: "reject", confidence: 0.9, issues: ["claimed artifact notes.md is missing"] })
  })

  it("without an artifactExists check, claims are not verified", () => {
    expect(llm("Created the file `docs/notes.md` with the meeting summary.")).toEqual(APPROVE)
  })
})

describe("critique: approval and minor issues", () => {
  it("a very short llm answer has a minor issue with confidence 0.75", () => {
    expect(llm("Yes, it works.")).toEqual({ verdict: "minor_issues", confidence: 0.75, issues: ["very short answer"] })
  })

  it("a short local output is not a minor issue (only llm answers are held to a length)", () => {
    expect(local("ok")).toEqual(APPROVE)
  })

  it("a clean answer is approved with confidence 0.95", () => {
    expect(llm(ANSWER)).toEqual({ verdict: "approve", confidence: 0.95, issues: [] })
  })

  it("an approved critique clears the auto-approve threshold and a minor one does not", () => {
    expect(AUTO_APPROVE_MIN_CONFIDENCE).toBe(0.9)
    expect(llm(ANSWER).confidence).toBeGreaterThanOrEqual(AUTO_APPROVE_MIN_CONFIDENCE)
    expect(llm("Yes, it works.").confidence).toBeLessThan(AUTO_APPROVE_MIN_CONFIDENCE)
  })
})

describe("routeReview", () => {
  it("a rejection at attempts 0 requeues the task with attempts 1", () => {
    expect(routeReview({ mode: "llm", attempts: 0 }, REJECT, controls)).toEqual({
      to: "requeued",
      needsHuman: false,
      attempts: 1,
      reason: `critic rejected (attempt 1 of ${MAX_REVIEW_ATTEMPTS}): empty output`,
    })
  })

  it("a rejection at attempts 1 still requeues (second rejection)", () => {
    expect(routeReview({ mode: "llm", attempts: 1 }, REJECT, controls)).toMatchObject({ to: "requeued", attempts: 2 })
  })

  it("a rejection at attempts 2 fails the task (third rejection)", () => {
    expect(MAX_REVIEW_ATTEMPTS).toBe(3)
    expect(routeReview({ mode: "llm", attempts: 2 }, REJECT, controls)).toEqual({
      to: "failed",
      needsHuman: false,
      attempts: 3,
      reason: "critic rejected (attempt 3 of 3): empty output",
    })
  })

  it("a rejection joins every issue into the reason", () => {
    const c: Critique = { verdict: "reject", confidence: 0.9, issues: ["a", "b"] }
    expect(routeReview({ mode: "local", attempts: 0 }, c, controls).reason).toBe("critic rejected (attempt 1 of 3): a; b")
  })

  it("a rejection of a local task is requeued, not sent to a human", () => {
    expect(routeReview({ mode: "local", attempts: 0 }, REJECT, { reviewEverything: true })).toMatchObject({ to: "requeued", needsHuman: false })
  })

  it("an approval of an llm task is approved without a human, attempts unchanged", () => {
    expect(routeReview({ mode: "llm", attempts: 1 }, APPROVE, controls)).toEqual({
      to: "approved",
      needsHuman: false,
      attempts: 1,
      reason: "critic approved",
    })
  })

  it("a local task always goes to pending_review, with the reason", () => {
    expect(routeReview({ mode: "local", attempts: 0 }, APPROVE, controls)).toEqual({
      to: "pending_review",
      needsHuman: true,
      attempts: 0,
      reason: "local commands are always reviewed",
    })
  })

  it("minor issues (confidence 0.75 < 0.9) go to pending_review", () => {
    expect(routeReview({ mode: "llm", attempts: 0 }, MINOR, controls)).toEqual({
      to: "pending_review",
      needsHuman: true,
      attempts: 0,
      reason: "confidence 0.75 below 0.9",
    })
  })

  it("reviewEverything sends even a clean llm approval to pending_review", () => {
    expect(routeReview({ mode: "llm", attempts: 0 }, APPROVE, { reviewEverything: true })).toEqual({
      to: "pending_review",
      needsHuman: true,
      attempts: 0,
      reason: "the workspace reviews everything",
    })
  })

  it("every reason a human is needed is listed", () => {
    expect(routeReview({ mode: "local", attempts: 0 }, MINOR, { reviewEverything: true }).reason).toBe(
      "local commands are always reviewed; confidence 0.75 below 0.9; the workspace reviews everything",
    )
  })

  it("the critic's verdicts end to end: clean llm → approved, short llm → pending_review, empty → requeued", () => {
    expect(routeReview({ mode: "llm", attempts: 0 }, llm(ANSWER), controls).to).toBe("approved")
    expect(routeReview({ mode: "llm", attempts: 0 }, llm("Yes."), controls).to).toBe("pending_review")
    expect(routeReview({ mode: "llm", attempts: 0 }, llm(""), controls).to).toBe("requeued")
  })
})
