/**
 * What a person asks for when forging a resident, as a zod input: the CLI's `resident forge`
 * flags and the PWA's forge form are built from it, so a field's limit and message are
 * written once.
 */
import { z } from "zod"
import { CreativitySeed, LIMITS } from "../../../schemas/index.ts"
import { cleanList, LIST_CAP } from "./forge.ts"

/** "a, b,, c" → ["a", "b", "c"]: how forms and flags enter traits, values and activities. */
export const listFromText = (text: string): string[] =>
  text
    .split(",")
    .map(s => s.trim())
    .filter(Boolean)

/** The longest summary of a resident, in characters. */
export const SUMMARY_MAX = 600

/** Blank → absent, so an empty field does not count as a statement or summary. */
const optionalText = (max: number, what: string) =>
  z
    .string()
    .trim()
    .max(max, `the ${what} is longer than ${max} characters`)
    .optional()
    .transform(s => s || undefined)

/** A list as comma-separated text or as items: trimmed, repeats dropped (ignoring case), then at most LIST_CAP. */
const List = (what: string) =>
  z
    .union([z.string().transform(listFromText), z.array(z.string())])
    .pipe(z.array(z.string().max(LIMITS.name, `each of the ${what} is at most ${LIMITS.name} characters`)).max(100, `at most ${LIST_CAP} ${what}`))
    .default([])
    .transform(list => cleanList(list))
    .refine(list => list.length <= LIST_CAP, `at most ${LIST_CAP} ${what}`)

export const ForgeInput = z
  .object({
    name: z.string().trim().min(1, "a resident needs a name").max(LIMITS.name, `a name is at most ${LIMITS.name} characters`),
    summary: optionalText(SUMMARY_MAX, "summary"),
    statement: optionalText(LIMITS.reason, "statement"),
    /** Without one, a fresh seed is drawn. */
    seed: z
      .string()
      .trim()
      .toUpperCase()
      .optional()
      .transform(s => s || undefined)
      .pipe(CreativitySeed.optional()),
    traits: List("traits"),
    values: List("values"),
    activities: List("activities"),
    bio: z.string().trim().max(LIMITS.message, `the bio is longer than ${LIMITS.message} characters`).default(""),
  })
  .strict()
export type ForgeInput = z.input<typeof ForgeInput>
