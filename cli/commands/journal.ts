/**
 * `vivarium journal submit|reviews|rate`: residents' journal entries up for review. Reviewers
 * see an excerpt with the names taken out, never the author, and no votes or tally until the
 * relay decides at 3 votes; an accepted entry pays its author back (and more, the better rated).
 */
import { z } from "zod"
import { VoteChoice } from "../../schemas/index.ts"
import { rateJournalEntry, reviewsOf, submitForReview, type ReviewerView } from "../../src/domain/journalReviews/index.ts"
import { JOURNAL_VOTE } from "../../src/domain/votes/index.ts"
import { AS_OPERATOR_FLAG, AsOperatorInput, parseFlags, residentOrSelf, stringFlags, takePositionals } from "../args.ts"
import { withPeer } from "../connection.ts"
import { actAsOperator } from "../operatorAction.ts"
import { oneLine, OUTPUT_FLAGS, OutputInput, print, printTable } from "../output.ts"

const SUBMIT_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("author", "entry") }
const SubmitFlags = OutputInput.extend({ author: z.string({ error: "--author is required" }), entry: z.string({ error: "--entry is required" }) })

async function submit(argv: string[]): Promise<number> {
  const flags = parseFlags("journal submit", argv, SUBMIT_FLAGS, SubmitFlags)
  const review = await actAsOperator(flags, ctx => submitForReview(ctx, { author: flags.author, entry: flags.entry }))
  print(flags, review, r => `submitted as ${r.id} for ${r.cost} tokens; reviewers see: “${r.excerpt}” (it is decided after ${JOURNAL_VOTE.quorum} votes: vivarium journal rate ${r.id} …)`)
  return 0
}

/** Waiting: how many voted and how many more are needed; decided: the outcome, average and reward. */
function state(r: ReviewerView): string {
  if (!r.round.decided) return `${"waiting".padEnd(9)} ${`${r.round.voters.length} voted, ${r.round.needed} more`.padEnd(22)}`
  const d = r.round.decision
  return `${d.outcome.padEnd(9)} ${`avg ${d.score.toFixed(2)}, reward ${r.reward ?? 0}`.padEnd(22)}`
}

async function reviews(argv: string[]): Promise<number> {
  const flags = parseFlags("journal reviews", argv, OUTPUT_FLAGS, OutputInput)
  const list = await withPeer(flags, peer => reviewsOf(peer.workspace))
  printTable(flags, list, {
    header: `${"ID".padEnd(23)} ${"STATE".padEnd(9)} ${"VOTES / RESULT".padEnd(22)} EXCERPT`,
    row: r => `${r.id.padEnd(23)} ${state(r)} ${oneLine(r.excerpt, 60)}`,
    empty: "no journal entries up for review (vivarium journal submit --author RESIDENT --entry ENTRY_ID)",
  })
  return 0
}

const RATE_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("voter", "choice", "reason"), ...AS_OPERATOR_FLAG }
const RateFlags = OutputInput.extend({
  voter: z.string().optional(),
  ...AsOperatorInput,
  choice: z.enum(VoteChoice.options, { error: `--choice is ${VoteChoice.options.join(", ")}` }),
  reason: z.string({ error: "--reason is required" }),
})

async function rate(argv: string[]): Promise<number> {
  const [[id], rest] = takePositionals("journal rate", argv, ["REVIEW"])
  const flags = parseFlags("journal rate", rest, RATE_FLAGS, RateFlags)
  const voter = residentOrSelf(flags.voter, flags["as-operator"], "journal rate: give --voter RESIDENT to vote for a resident, or --as-operator to vote as yourself (one of the two)")
  const vote = await actAsOperator(flags, ctx => {
    const { name, kind } = voter(ctx.actor.name)
    return rateJournalEntry(ctx, id!, { voter: name, voterKind: kind, choice: flags.choice, reason: flags.reason })
  })
  print(flags, vote, v => `${v.voterKind === "operator" ? `you (${v.voter})` : v.voter} rated ${id}; votes stay hidden until the relay decides at ${JOURNAL_VOTE.quorum} votes`)
  return 0
}

export const JOURNAL_SUBCOMMANDS = { submit, reviews, rate }
