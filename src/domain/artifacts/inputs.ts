/** What a person gives to list artifacts and to add one: the CLI's flags and the panel's filters read this. */
import { z } from "zod"
import { ARTIFACT_LIMITS, ArtifactKind, Id, LIMITS } from "../../../schemas/index.ts"

export const ArtifactFilterInput = z
  .object({
    task: Id.optional(),
    author: Id.optional(),
    kind: ArtifactKind.optional(),
  })
  .strict()
export type ArtifactFilterInput = z.input<typeof ArtifactFilterInput>

/** An operator's file (its bytes are given beside): named by its file name, for a task if one is named. */
export const AddArtifactInput = z
  .object({
    fileName: z.string().trim().min(1, "name the file").max(ARTIFACT_LIMITS.source),
    title: z.string().trim().min(1, "the title is empty").max(LIMITS.title).optional(),
    task: Id.optional(),
  })
  .strict()
export type AddArtifactInput = z.input<typeof AddArtifactInput>

/** A version number, as `--version N` or a picker gives it. */
export const VersionNumber = z.coerce.number({ error: "a version is a whole number from 1" }).int("a version is a whole number from 1").min(1, "a version is a whole number from 1").max(ARTIFACT_LIMITS.versions)
