/** Flag parsing: node:util parseArgs for syntax, zod for meaning. Every failure is a CliError. */
import { parseArgs, type ParseArgsConfig } from "node:util"
import { z } from "zod"
import { Id } from "../schemas/index.ts"
import { CliError } from "./errors.ts"

export type FlagSpec = NonNullable<ParseArgsConfig["options"]>

/** Flags that take a value, by name: `stringFlags("title", "reward")`. */
export function stringFlags<K extends string>(...names: K[]): Record<K, { type: "string" }> {
  return Object.fromEntries(names.map(name => [name, { type: "string" }])) as Record<K, { type: "string" }>
}

export function parseFlags<S extends z.ZodType>(command: string, argv: string[], spec: FlagSpec, schema: S): z.infer<S> {
  let values: Record<string, unknown>
  let positionals: string[]
  try {
    ;({ values, positionals } = parseArgs({ args: argv, options: spec, strict: true, allowPositionals: true }))
  } catch (error) {
    // parseArgs explains at length; its first sentence is the useful part.
    const first = (error as Error).message.split(/\.\s|\n/)[0] ?? "bad flags"
    throw new CliError(`${command}: ${first} (see vivarium --help)`)
  }
  if (positionals.length) throw new CliError(`${command}: unexpected argument '${positionals[0]}' (see vivarium ${command} --help)`)
  const parsed = schema.safeParse(values)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const flag = issue.path.length ? `--${String(issue.path[0]).replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)}: ` : ""
    throw new CliError(`${command}: ${flag}${issue.message}`)
  }
  return parsed.data
}

/** Pulls the leading positional arguments (ids) off argv before flags are parsed. */
export function takePositionals(command: string, argv: string[], names: string[]): [string[], string[]] {
  const values = argv.slice(0, names.length)
  if (values.length < names.length || values.some(v => v.startsWith("-")))
    throw new CliError(`${command}: missing ${names.slice(values.filter(v => !v.startsWith("-")).length).join(" ")} (see vivarium ${command} --help)`)
  return [values, argv.slice(names.length)]
}

/** The leading id argument (`quest pause ID`), checked: a malformed one is a usage error saying what was expected. */
export function takeId(command: string, argv: string[], what: string): [string, string[]] {
  const [[id], rest] = takePositionals(command, argv, [what.toUpperCase().replace(/ /g, "_") + "_ID"])
  if (!Id.safeParse(id).success) throw new CliError(`${command}: '${id}' is not a ${what} id`)
  return [id!, rest]
}

export interface NumberFlagSpec {
  min: number
  max: number
  /** Said when the value is missing or not a number. */
  nan: string
  /** Said when it is out of range (defaults to `nan`). */
  range?: string
  /** Said when it must be whole and is not; omit to allow fractions. */
  int?: string
}

/** A numeric flag: an empty value (`--port=`) is an error, never a silent 0. */
export function numberFlag(spec: NumberFlagSpec) {
  const range = spec.range ?? spec.nan
  let number = z.coerce.number<string>({ error: spec.nan }).min(spec.min, range).max(spec.max, range)
  if (spec.int) number = number.int(spec.int)
  return z.string().trim().min(1, spec.nan).pipe(number)
}

/**
 * A numeric flag checked by a schema's own rule (the range and its message live with the
 * schema). `nan` is said when the value is empty or not a number; without it, the schema's
 * own message (a schema made with `z.number({ error })`).
 */
export function numberFlagOf(schema: z.ZodType<number, number>, nan?: string) {
  const number = z.string().transform(s => (s.trim() === "" ? Number.NaN : Number(s)))
  return nan ? number.pipe(z.number({ error: nan })).pipe(schema) : number.pipe(schema)
}

const PORT_RANGE = "port must be a number from 0 to 65535"
export const Port = numberFlag({ min: 0, max: 65535, nan: PORT_RANGE, int: "port must be a whole number" })
export const RelayUrl = z.string().regex(/^wss?:\/\/[^\s/]+(\/.*)?$/, "expected ws://host:port")

/** `--as-operator`: the operator acts as itself where a resident could be named instead. */
export const AS_OPERATOR_FLAG = { "as-operator": { type: "boolean", default: false } } as const satisfies FlagSpec
export const AsOperatorInput = { "as-operator": z.boolean() }

/**
 * Who a vote or dispute is for: the resident a flag names, or (with --as-operator) the operator
 * itself, given once it is known; exactly one of the two, else `refusal`.
 */
export function residentOrSelf(resident: string | undefined, asOperator: boolean, refusal: string): (self: string) => { name: string; kind: "resident" | "operator" } {
  if (!resident === !asOperator) throw new CliError(refusal)
  return self => (resident ? { name: resident, kind: "resident" } : { name: self, kind: "operator" })
}
