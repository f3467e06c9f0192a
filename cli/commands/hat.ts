/** `vivarium hat list|show|add|edit`: the prompt overlays residents wear, and an operator's own. */
import { z } from "zod"
import { addHat, editHat, hatsOf, HatInput, HATTERY_RULES, wornBy, type CatalogueHat } from "../../src/domain/hats/index.ts"
import { parseFlags, stringFlags, takePositionals } from "../args.ts"
import { withPeer } from "../connection.ts"
import { CliError } from "../errors.ts"
import { actAsOperator } from "../operatorAction.ts"
import { formatTime, oneLine, OUTPUT_FLAGS, OutputInput, print, printTable } from "../output.ts"

/** The hat form's fields, as flags: the same rules and messages (src/domain/hats/inputs.ts). */
const HAT_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("name", "description", "prompt", "facet") }
const HatFlags = OutputInput.extend(z.object(HatInput.shape).partial().shape)

const fieldsOf = (flags: z.infer<typeof HatFlags>) =>
  Object.fromEntries((["name", "description", "prompt", "facet"] as const).filter(f => flags[f] !== undefined).map(f => [f, flags[f]]))

async function list(argv: string[]): Promise<number> {
  const flags = parseFlags("hat list", argv, OUTPUT_FLAGS, OutputInput)
  const hats = await withPeer(flags, peer => hatsOf(peer.workspace))
  printTable(flags, hats, {
    header: `${"ID".padEnd(16)} ${"NAME".padEnd(22)} ${"FACET".padEnd(9)} ${"ORIGIN".padEnd(7)}  DESCRIPTION`,
    row: h => `${h.id.padEnd(16)} ${h.name.padEnd(22)} ${(h.facet ?? "–").padEnd(9)} ${h.origin.padEnd(7)}  ${oneLine(h.description, 60)}`,
    empty: "no hats",
  })
  return 0
}

/** The hat a command names, by id or name. */
function named(all: CatalogueHat[], which: string, command: string): CatalogueHat {
  const hat = all.find(h => h.id === which) ?? all.find(h => h.name.toLowerCase() === which.toLowerCase())
  if (!hat) throw new CliError(`${command}: no hat ${which} (see vivarium hat list)`)
  return hat
}

function describe(h: CatalogueHat): string {
  return [
    `${h.name}  (${h.id})  ${h.origin}${h.editedBy ? ` by ${h.editedBy}${h.editedAt ? ` at ${formatTime(h.editedAt)}` : ""}` : ""}`,
    `about:  ${h.description}`,
    `worn:   ${h.facet ? `by ${wornBy(h.facet)}` : "by no facet (worn when a step asks for it)"}`,
    "prompt:",
    ...h.prompt.split("\n").map(l => `  | ${l}`),
    `(every hat is worn under the hattery rules: ${HATTERY_RULES.split("\n").slice(1).join(" ")})`,
  ].join("\n")
}

async function show(argv: string[]): Promise<number> {
  const [[which], rest] = takePositionals("hat show", argv, ["HAT"])
  const flags = parseFlags("hat show", rest, OUTPUT_FLAGS, OutputInput)
  const hat = await withPeer(flags, async peer => named(await hatsOf(peer.workspace), which!, "hat show"))
  print(flags, hat, describe)
  return 0
}

async function add(argv: string[]): Promise<number> {
  const flags = parseFlags("hat add", argv, HAT_FLAGS, HatFlags)
  const missing = (["name", "description", "prompt"] as const).filter(f => flags[f] === undefined)
  if (missing.length) throw new CliError(`hat add: ${missing.map(f => `--${f}`).join(", ")} ${missing.length > 1 ? "are" : "is"} required`)
  const hat = await actAsOperator(flags, ctx => addHat(ctx, fieldsOf(flags) as HatInput))
  print(flags, hat, h => `hat ${h.name} added (${h.id})${h.facet ? `: ${h.facet} steps wear it from now on` : ""}`)
  return 0
}

async function edit(argv: string[]): Promise<number> {
  const [[which], rest] = takePositionals("hat edit", argv, ["HAT"])
  const flags = parseFlags("hat edit", rest, HAT_FLAGS, HatFlags)
  const fields = fieldsOf(flags)
  if (!Object.keys(fields).length) throw new CliError("hat edit: say what to change (--name, --description, --prompt or --facet)")
  const hat = await actAsOperator(flags, async ctx => editHat(ctx, named(await hatsOf(ctx.workspace), which!, "hat edit").id, fields))
  print(flags, hat, h => `hat ${h.name} edited (${Object.keys(fields).join(", ")}): runs from now on wear this version`)
  return 0
}

export const HAT_SUBCOMMANDS = { list, show, add, edit }
