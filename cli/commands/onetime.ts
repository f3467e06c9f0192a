/** `vivarium onetime list|add|claim|retire`: the one-time task catalogue; each resident does each task once, for its bonus. */
import { z } from "zod"
import { addOneTimeTask, claimOneTimeTask, OneTimeInput, oneTimeTasksOf, retireOneTimeTask } from "../../src/domain/onetime/index.ts"
import { parseFlags, stringFlags, takePositionals } from "../args.ts"
import { withPeer } from "../connection.ts"
import { actAsOperator } from "../operatorAction.ts"
import { oneLine, OUTPUT_FLAGS, OutputInput, print, printTable } from "../output.ts"

async function list(argv: string[]): Promise<number> {
  const flags = parseFlags("onetime list", argv, OUTPUT_FLAGS, OutputInput)
  const tasks = await withPeer(flags, peer => oneTimeTasksOf(peer.workspace))
  printTable(flags, tasks, {
    header: `${"ID".padEnd(24)} ${"BONUS".padStart(5)} ${"DONE".padStart(4)} ${"CLAIMED".padStart(7)} ${"FOR".padEnd(14)} TITLE`,
    row: t =>
      `${t.id.padEnd(24)} ${String(t.bonusTokens).padStart(5)} ${String(t.done.length).padStart(4)} ${String(t.claimed.length).padStart(7)} ${(t.retired ? "retired" : t.eligible.length ? `${t.eligible.length} resident(s)` : "everyone").padEnd(14)} ${oneLine(t.title, 50)}`,
    empty: "no one-time tasks (vivarium onetime add --id ID --title T --prompt P [--bonus 25])",
  })
  return 0
}

const ADD_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("id", "title", "prompt", "bonus", "eligible") }
const AddInput = OutputInput.extend({ id: z.string(), title: z.string(), prompt: z.string(), bonus: z.string().optional(), eligible: z.string().optional() })

async function add(argv: string[]): Promise<number> {
  const flags = parseFlags("onetime add", argv, ADD_FLAGS, AddInput)
  const input: OneTimeInput = { id: flags.id, title: flags.title, prompt: flags.prompt, ...(flags.bonus ? { bonusTokens: flags.bonus } : {}), eligible: flags.eligible?.split(",").map(s => s.trim()).filter(Boolean) ?? [] }
  const task = await actAsOperator(flags, ctx => addOneTimeTask(ctx, input))
  print(flags, task, t => `one-time task ${t.id} added: ${t.bonusTokens} tokens to each ${t.eligible.length ? "named " : ""}resident who does it (vivarium onetime claim ${t.id} --resident ID)`)
  return 0
}

const CLAIM_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("resident") }
const ClaimFlags = OutputInput.extend({ resident: z.string({ error: "--resident is required" }) })

async function claim(argv: string[]): Promise<number> {
  const [[id], rest] = takePositionals("onetime claim", argv, ["ID"])
  const flags = parseFlags("onetime claim", rest, CLAIM_FLAGS, ClaimFlags)
  const task = await actAsOperator(flags, ctx => claimOneTimeTask(ctx, id!, { resident: flags.resident }))
  print(flags, task, t => `claimed: task ${t.id} is queued for ${flags.resident}; its bonus of ${t.bonus!.tokens} tokens is paid when it is approved`)
  return 0
}

async function retire(argv: string[]): Promise<number> {
  const [[id], rest] = takePositionals("onetime retire", argv, ["ID"])
  const flags = parseFlags("onetime retire", rest, OUTPUT_FLAGS, OutputInput)
  await actAsOperator(flags, ctx => retireOneTimeTask(ctx, id!))
  print(flags, { id, retired: true }, () => `one-time task ${id} retired: no new claims (claims made before still pay)`)
  return 0
}

export const ONETIME_SUBCOMMANDS = { list, add, claim, retire }
