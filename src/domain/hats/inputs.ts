/** What a person gives to add or edit a hat: the CLI's flags and the panel's form read this. */
import { z } from "zod"
import { PlanFacet } from "../../../schemas/index.ts"

const HatFields = {
  name: z.string().trim().min(2, "name the hat (2 characters at least)").max(60),
  description: z.string().trim().min(3, "say in a sentence what the hat is for").max(300),
  prompt: z.string().trim().min(3, "the hat's prompt is empty").max(2_000),
  /** The facet of plan steps that wear this hat, if any (mediation is the Hat of Objectivity's alone). */
  facet: PlanFacet.optional(),
}

export const HatInput = z.object(HatFields).strict()
export type HatInput = z.input<typeof HatInput>

/** An edit changes only the fields it names. */
export const HatEdit = z.object(HatFields).partial().strict()
export type HatEdit = z.input<typeof HatEdit>
