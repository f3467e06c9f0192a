/** `vivarium bounty list|post|submit|complete`: bounties, submissions and payouts, as in the panel. */
import { z } from "zod"
import type { Bounty } from "../../schemas/index.ts"
import { CompletionInput, completeBounty, NewBountyInput, postBounty, readFencedBounties, rankSubmissions, SubmissionInput, submitToBounty } from "../../src/domain/bounties/index.ts"
import { listFromText } from "../../src/domain/residents/index.ts"
import { Tokens } from "../../src/domain/wallets/index.ts"
import { numberFlagOf, parseFlags, stringFlags, takeId } from "../args.ts"
import { withPeer } from "../connection.ts"
import { directory, type Directory } from "../directory.ts"
import { CliError } from "../errors.ts"
import { actAsOperator } from "../operatorAction.ts"
import { oneLine, OUTPUT_FLAGS, OutputInput, print } from "../output.ts"

/** A bounty and its submissions (ids to complete it with), in names. */
function describeBounty(b: Bounty, names: Directory): string[] {
  const lines = [`${b.id}  ${b.state.padEnd(9)} ${b.reward} tokens, ${b.slots} slot${b.slots === 1 ? "" : "s"}  “${b.title}”  posted by ${names.nameOf(b.createdBy)}`]
  if (b.description) lines.push(`    ${oneLine(b.description, 160)}`)
  const ranks = rankSubmissions(b)
  for (const s of Object.values(b.submissions).sort((x, y) => x.at - y.at || (x.id < y.id ? -1 : 1))) {
    const rank = ranks.get(s.id)
    const place = s.id === b.winner ? "  WINNER" : s.id === b.runnerUp ? "  RUNNER-UP" : ""
    lines.push(`    ${s.id}  ${s.members.map(names.nameOf).join(", ")}  slot ${rank?.slotIndex ?? "?"} ×${rank?.multiplier ?? 0}${place}: ${oneLine(s.content, 100)}`)
  }
  return lines
}

async function list(argv: string[]): Promise<number> {
  const flags = parseFlags("bounty list", argv, OUTPUT_FLAGS, OutputInput)
  const { all, names } = await withPeer(flags, async peer => ({
    all: [...(await readFencedBounties(peer.workspace)).values()].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)),
    names: await directory(peer.workspace),
  }))
  print(flags, all, list => (list.length ? list.flatMap(b => describeBounty(b, names)).join("\n") : "no bounties yet: post one with vivarium bounty post --title T --reward N"))
  return 0
}

const POST_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("title", "description", "reward", "slots") }
/** The bounty form's fields, as flags: the same rules and messages (src/domain/bounties/inputs.ts). */
const PostFlags = OutputInput.extend({
  title: NewBountyInput.shape.title.optional(),
  description: NewBountyInput.shape.description,
  reward: numberFlagOf(Tokens).optional(),
  slots: numberFlagOf(NewBountyInput.shape.slots.unwrap()).optional(),
})

async function post(argv: string[]): Promise<number> {
  const flags = parseFlags("bounty post", argv, POST_FLAGS, PostFlags)
  if (flags.title === undefined || flags.reward === undefined) throw new CliError("bounty post: --title TEXT and --reward TOKENS are required")
  const { title, reward } = flags
  const bounty = await actAsOperator(flags, ctx =>
    postBounty(ctx, { title, reward, description: flags.description, ...(flags.slots !== undefined ? { slots: flags.slots } : {}) }),
  )
  print(flags, bounty, b => `bounty “${b.title}” posted (${b.id}): ${b.reward} tokens, ${b.slots} slot${b.slots === 1 ? "" : "s"}`)
  return 0
}

const SUBMIT_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("resident", "members", "content") }
/** The submit form's fields, as flags; --members (comma-separated ids) adds residents who share the payout. */
const SubmitFlags = OutputInput.extend({
  resident: SubmissionInput.shape.identity.optional(),
  members: z.string().transform(listFromText).pipe(SubmissionInput.shape.members.unwrap()).optional(),
  content: SubmissionInput.shape.content.optional(),
})

async function submit(argv: string[]): Promise<number> {
  const [bountyId, rest] = takeId("bounty submit", argv, "bounty")
  const flags = parseFlags("bounty submit", rest, SUBMIT_FLAGS, SubmitFlags)
  if (flags.resident === undefined || flags.content === undefined) throw new CliError("bounty submit: --resident ID and --content TEXT are required")
  const { resident, content } = flags
  const { submission, names } = await actAsOperator(flags, async ctx => ({
    submission: await submitToBounty(ctx, bountyId, { identity: resident, content, ...(flags.members ? { members: flags.members } : {}) }),
    names: await directory(ctx.workspace),
  }))
  print(flags, submission, s => `submission ${s.id} from ${s.members.map(names.nameOf).join(", ")}: slot ${s.slotIndex} ×${s.multiplier}${s.reason && s.reason !== "in_slot" ? ` (${s.reason.replace(/_/g, " ")})` : ""}`)
  return 0
}

const COMPLETE_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("winner", "runner-up", "winner-reward", "runner-up-reward") }
/** The complete form's fields, as flags: submission ids and token amounts (src/domain/bounties/inputs.ts). */
const CompleteFlags = OutputInput.extend({
  winner: CompletionInput.shape.winner.optional(),
  "runner-up": CompletionInput.shape.runnerUp,
  "winner-reward": numberFlagOf(Tokens).optional(),
  "runner-up-reward": numberFlagOf(Tokens).optional(),
})

async function complete(argv: string[]): Promise<number> {
  const [bountyId, rest] = takeId("bounty complete", argv, "bounty")
  const flags = parseFlags("bounty complete", rest, COMPLETE_FLAGS, CompleteFlags)
  if (flags.winner === undefined) throw new CliError("bounty complete: --winner SUBMISSION_ID is required (see vivarium bounty list)")
  const winner = flags.winner
  const { paid, title, names } = await actAsOperator(flags, async ctx => ({
    paid: await completeBounty(ctx, bountyId, {
      winner,
      ...(flags["runner-up"] !== undefined ? { runnerUp: flags["runner-up"] } : {}),
      ...(flags["winner-reward"] !== undefined ? { winnerReward: flags["winner-reward"] } : {}),
      ...(flags["runner-up-reward"] !== undefined ? { runnerUpReward: flags["runner-up-reward"] } : {}),
    }),
    title: (await readFencedBounties(ctx.workspace)).get(bountyId)?.title,
    names: await directory(ctx.workspace),
  }))
  print(flags, paid, ({ payouts }) =>
    [
      `bounty “${title}” completed and paid:`,
      ...(payouts.length
        ? payouts.map(p => `  ${names.nameOf(p.member)}: ${p.amount} tokens (${p.place === 1 ? "winner" : "runner-up"})${p.written ? "" : ", already paid before"}`)
        : ["  nothing to pay (every chosen submission earns ×0 or a reward of 0)"]),
    ].join("\n"),
  )
  return 0
}

export const BOUNTY_SUBCOMMANDS = { list, post, submit, complete }
