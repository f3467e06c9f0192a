/** The error catalogue: every code has a plain sentence and a next step, and none of them shouts. */
import { describe, expect, it } from "vitest"
import { z } from "zod"
import { asSentence, describeError, ERRORS, humanText, inputError, UserError, type DetailArgs, type ErrorCode } from "../../src/core/errors.ts"
import { DEFAULT_LOCAL_POLICY } from "../../src/core/safety.ts"

const programs = DEFAULT_LOCAL_POLICY.allow
const gitSubcommands = DEFAULT_LOCAL_POLICY.gitSubcommands

/** Details for every code; a code added to the catalogue without a sample here fails the typecheck. */
const SAMPLES: { [C in ErrorCode]: DetailArgs<C> } = {
  invalid_input: [{ problems: ["title: the title is empty"] }],
  too_long: [{ what: "reason", max: 500 }],
  budget_min_above_max: [{ min: 2, max: 1 }],
  nothing_to_change: [{ fields: ["mood", "focus"] }],
  command_not_allowed: [{ rule: "denied_program", reason: `"rm -rf" is denied: recursive or forced deletion is not allowed.`, programs, gitSubcommands }],
  prompt_not_allowed: [{ rule: "prompt_injection", reason: `The prompt tries to override its instructions (prompt injection): it contains "ignore all previous instructions".` }],
  not_found: [{ thing: "quest", id: "quest-1" }],
  terminal_operator_only: [{ name: "ada-laptop", operator: "Ada" }],
  pairing_not_arrived: [{ device: "ada-laptop" }],
  pairing_by_terminal: [],
  pairing_key_mismatch: [{ device: "ada-laptop" }],
  unreadable: [{ thing: "resident", id: "ada" }],
  task_not_found: [{ id: "task-1" }],
  task_wrong_state: [{ id: "task-1", from: "pending_review", to: "blocked", moves: ["approved", "requeued"] }],
  task_moved_by_others: [{ id: "task-1", from: "queued", to: "claimed", allowed: ["system"] }],
  task_not_editable: [{ id: "task-1", status: "running" }],
  task_mode_mismatch: [{ id: "task-1", runs: "command" }],
  task_depends_on_itself: [{ id: "task-1" }],
  unknown_dependency: [{ ids: ["task-2"] }],
  tip_needs_approve: [],
  task_not_approved: [{ id: "task-1", status: "failed" }],
  name_banned_word: [{ name: "Agent Smith", word: "agent", banned: ["agent", "worker"] }],
  name_taken: [{ name: "Ada", other: `"Ada" (ada)` }],
  name_too_similar: [{ name: "Ada Lovelaces", other: `"Ada Lovelace" (ada)`, percent: 96 }],
  text_too_similar: [{ field: "statement", other: `"Ada" (ada)`, percent: 97 }],
  seed_invalid: [{ seed: "nope" }],
  seed_used: [{ seed: "AB-1234-CD", owner: "ada" }],
  seed_exhausted: [],
  profile_refused: [{ problems: ["forbidden tag <script>"] }],
  journal_missing: [{ id: "ada" }],
  journal_empty: [{ id: "ada" }],
  no_collab_request: [],
  dm_needs_two: [],
  mailbox_missing: [],
  not_an_operator: [{ name: "mallory" }],
  reply_needs_resident_message: [{ id: "mail-1" }],
  resident_cannot_pay: [{ name: "Bo", cost: 10, why: "bo has 7 free time tokens" }],
  owner_only: [{ owner: "alice" }],
  already_decided: [{ role: "worker", name: "w1", state: "approved" }],
  halt_needs_reason: [],
  bounty_completed: [{ id: "bounty-1", by: "alice" }],
  bounty_no_submissions: [{ id: "bounty-1" }],
  bounty_not_open: [{ id: "bounty-1", state: "claimed" }],
  duplicate_submission: [{ id: "bounty-1", existing: "sub-1" }],
  too_many_members: [{ max: 10 }],
  runner_up_is_winner: [],
  quest_state_by_action: [{ id: "quest-1", state: "active" }],
  not_a_quest_document: [],
  quest_wrong_state: [{ id: "quest-1", from: "cancelled", to: "active", moves: [] }],
  quest_moved_by_others: [{ id: "quest-1", from: "active", to: "awaiting_approval", allowed: ["system"] }],
  quest_needs_resident: [{ id: "quest-1", purpose: "tip" }],
  quest_not_awaiting_approval: [{ id: "quest-1", state: "active" }],
  plan_not_compound: [{ reason: "it reads as one piece of work (1 of the 2 signals needed)" }],
  plan_not_found: [{ id: "task-1" }],
  plan_decided: [{ id: "task-1", state: "approved" }],
  plan_drafting: [{ id: "task-1" }],
  plan_step_invalid: [{ problem: "step 2 waits for s3, which is not a step above it" }],
  skills_missing: [],
  skill_not_found: [{ id: "skill-summarize-changelog" }],
  skill_exists: [{ name: "summarize-changelog" }],
  skill_invalid: [{ problem: "the template uses {{x}} but declares no such parameter" }],
  skill_decided: [{ id: "skill-summarize-changelog", state: "approved" }],
  hat_not_found: [{ id: "pirate" }],
  hat_exists: [{ name: "Builder" }],
  onetime_exists: [{ id: "crystallize" }],
  onetime_refused: [{ id: "crystallize", resident: "res_ada", why: "this resident has done it already" }],
  artifacts_missing: [],
  artifact_not_found: [{ id: "task-1.report" }],
  artifact_version_not_found: [{ id: "task-1.report", version: 4, versions: 2 }],
  artifact_too_large: [{ name: "chart.png", bytes: 600 * 1024, max: 512 * 1024, what: "an image" }],
  artifact_type: [{ name: "bundle.zip", why: "it is neither UTF-8 text nor a PNG, JPG, GIF or WebP image" }],
  artifact_versions_full: [{ id: "task-1.report", max: 100 }],
  artifact_not_yours: [{ id: "alice.notes.md", by: "alice" }],
  artifact_unchanged: [{ id: "alice.notes.md", version: 2 }],
  proposals_missing: [],
  community_missing: [],
  guild_not_found: [{ id: "Weavers" }],
  join_request_not_found: [{ id: "join-1" }],
  guild_refused: [{ what: "Founding the guild Weavers", why: "ada is a member of Gardeners already, and a resident is in one guild" }],
  review_not_found: [{ id: "review-1a2b3c4d5e6f7a8b" }],
  review_refused: [{ id: "review-1a2b3c4d5e6f7a8b", why: "this voter has rated it already" }],
  review_cannot_pay: [{ name: "Ada", cost: 10, journal: 3, freeTime: 4 }],
  dispute_not_found: [{ id: "dispute-guild_join-join-1-0" }],
  dispute_exists: [{ id: "dispute-guild_join-join-1-0" }],
  dispute_refused: [{ what: "Assigning Ben as the mediator", why: "ben voted in the disputed round: a mediator is a third party" }],
  proposal_not_found: [{ id: "prop-1" }],
  proposal_decided: [{ id: "prop-1", state: "rolled_back" }],
  proposal_approved_twice: [{ id: "prop-1" }],
  proposal_stale: [{ id: "prop-1" }],
  proposal_not_applied: [{ id: "prop-1", state: "proposed" }],
  proposal_changed_since: [{ id: "prop-1" }],
  loop_not_found: [{ id: "loop-1" }],
  loop_not_waiting: [{ id: "loop-1", state: "at_checkpoint" }],
  loop_checkpoint_open: [{ id: "loop-1", proposal: "loop-1-2" }],
  loop_ended: [{ id: "loop-1", state: "done" }],
  snapshot_not_found: [{ name: "before the release" }],
  document_not_named: [{ ref: "queues" }],
  point_not_held: [{ what: "the queue" }],
  archive_refused: [{ file: "backup.json", reason: "it is partial: 1 document(s) could not be exported" }],
  archive_target_taken: [{ dir: "/srv/vivarium" }],
  unexpected: [{ detail: "the socket closed" }],
}

const errorFor = <C extends ErrorCode>(code: C) => new UserError(code, ...SAMPLES[code])

/** Upper-case words of 4+ letters that are names, not shouting. */
const ACRONYMS = new Set(["HTML"])
function shouts(text: string): string[] {
  const codes = text.match(/\b[A-Z]+(?:_[A-Z]+)+\b/g) ?? []
  const words = (text.match(/\b[A-Z]{4,}\b/g) ?? []).filter(w => !ACRONYMS.has(w))
  return [...codes, ...words]
}
const isSentence = (text: string) => /^["“A-Z]/.test(text) && /[.!?]$/.test(text)

describe("the error catalogue", () => {
  it.each(Object.keys(ERRORS) as ErrorCode[])("%s: a plain sentence and a next step, neither shouting nor naming the code", code => {
    const error = errorFor(code)
    expect(error.code).toBe(code)
    for (const text of [error.message, error.next]) {
      expect(text.trim().length).toBeGreaterThan(10)
      expect(isSentence(text), text).toBe(true)
      expect(shouts(text), text).toEqual([])
      expect(text).not.toContain(code)
      expect(text).not.toMatch(/TRY AGAIN|VIOLATION/)
    }
    expect(error.next).not.toBe(error.message)
  })

  it("writes states as words, not identifiers", () => {
    const error = errorFor("task_wrong_state")
    expect(error.message).toBe("Task task-1 is pending review, so it cannot become blocked.")
    expect(error.next).toBe("From pending review an operator can make it approved, requeued.")
    expect(new UserError("quest_wrong_state", { id: "q", from: "cancelled", to: "active", moves: [] }).next).toBe("Cancelled is final. Assign a new quest to go on.")
  })

  it("a refused command names the rule's way out", () => {
    const denied = errorFor("command_not_allowed")
    expect(denied.message).toBe(`This command is not allowed: "rm -rf" is denied: recursive or forced deletion is not allowed.`)
    expect(denied.next).toBe("Use one of the allowed programs: ls, cat, echo, pwd, rg, git.")
    const git = new UserError("command_not_allowed", { rule: "git_subcommand", reason: `"git push" is not allowed.`, programs, gitSubcommands })
    expect(git.next).toBe("Use one of: git status, git log, git diff.")
  })
})

describe("describeError and inputError", () => {
  it("names each bad field in words", () => {
    const issues = z.object({ maxBudgetUsd: z.number().max(10, "at most $10"), title: z.string().min(1, "the title is empty") }).safeParse({ maxBudgetUsd: 11, title: "" }).error!.issues
    const error = inputError(issues)
    expect(error.message).toBe("Max budget (USD): at most $10; title: the title is empty.")
    expect(error.next).toBe("Correct it and try again.")
  })

  it("describes catalogued errors as they are, a schema error as invalid input, anything else as unexpected", () => {
    expect(describeError(errorFor("halt_needs_reason"))).toEqual({ code: "halt_needs_reason", message: "Halting needs a reason.", next: "Say why in a few words: every operator sees it." })
    const zod = z.string().min(3, "too short").safeParse("x").error!
    expect(describeError(zod)).toMatchObject({ code: "invalid_input", message: "Too short." })
    expect(describeError(new Error("the socket closed"))).toEqual({
      code: "unexpected",
      message: "Something went wrong: the socket closed.",
      next: "Try again; if it keeps happening, the relay's log says more.",
    })
    expect(humanText(errorFor("dm_needs_two"))).toBe("A direct message needs two different parties. Pick someone else to write to.")
  })

  it("asSentence capitalizes and ends with a full stop once", () => {
    expect(asSentence("the title is empty")).toBe("The title is empty.")
    expect(asSentence("Done!")).toBe("Done!")
  })
})
