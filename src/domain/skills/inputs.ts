/** What a person gives to write a skill: the CLI's flags and the panel's form read this. */
import { z } from "zod"
import { SKILL_NAME, SkillParam } from "../../../schemas/index.ts"

const SkillFields = {
  name: z.string().regex(SKILL_NAME, "a skill name is 3-41 lowercase letters, digits or -, starting with a letter"),
  description: z.string().trim().min(3, "describe the skill in a few words").max(300),
  template: z.string().trim().min(3, "the template is empty").max(4_000),
  params: z.array(SkillParam).max(10),
  preconditions: z.array(z.string().trim().min(1).max(200)).max(10),
}

export const SkillInput = z
  .object({ ...SkillFields, params: SkillFields.params.default([]), preconditions: SkillFields.preconditions.default([]) })
  .strict()
export type SkillInput = z.input<typeof SkillInput>

/** An edit changes only the fields it names (no defaults fill the others). */
export const SkillEdit = z.object(SkillFields).partial().strict()
export type SkillEdit = z.input<typeof SkillEdit>
