/**
 * What an operator does with hats, signed into the operator's audit log: add one, or edit
 * one (a default hat too: the edit replaces it in this workspace). The CLI and the panel
 * call these; each validates first and throws OperatorActionError with nothing written.
 */
import type { HatRecord } from "../../../schemas/index.ts"
import { OperatorActionError, parseInput, type OperatorContext } from "../../workspace/actionContext.ts"
import { readHatRecords } from "../../workspace/documentReaders.ts"
import type { Workspace } from "../../workspace/workspace.ts"
import { openSkills } from "../skills/actions.ts"
import { hatCatalogue, hatIdOf, type CatalogueHat } from "./catalogue.ts"
import { HatEdit, HatInput } from "./inputs.ts"

/** The workspace's hats as this peer can read them (an invalid record is left out and reported). */
export async function hatsOf(workspace: Workspace): Promise<CatalogueHat[]> {
  const handle = await openSkills(workspace)
  return hatCatalogue(readHatRecords(handle.doc(), `skills ${handle.url}`, []))
}

export async function addHat(ctx: OperatorContext, input: HatInput): Promise<CatalogueHat> {
  const parsed = parseInput(HatInput, input)
  const handle = await openSkills(ctx.workspace)
  const id = hatIdOf(parsed.name)
  const taken = hatCatalogue(readHatRecords(handle.doc(), `skills ${handle.url}`, [])).find(h => h.id === id || h.name.toLowerCase() === parsed.name.toLowerCase())
  if (taken) throw new OperatorActionError("hat_exists", { name: taken.name })
  const hat: HatRecord = { id, ...parsed, editedBy: ctx.actor.name, editedAt: ctx.now ?? Date.now() }
  handle.change(d => {
    if (!d.hats) throw new OperatorActionError("skills_missing")
    d.hats[id] = hat
  })
  await ctx.audit.append("hat", id, { action: "added", name: hat.name })
  return { ...hat, origin: "added" }
}

export async function editHat(ctx: OperatorContext, id: string, edit: HatEdit): Promise<CatalogueHat> {
  const parsed = parseInput(HatEdit, edit)
  const handle = await openSkills(ctx.workspace)
  const catalogue = hatCatalogue(readHatRecords(handle.doc(), `skills ${handle.url}`, []))
  const current = catalogue.find(h => h.id === id)
  if (!current) throw new OperatorActionError("hat_not_found", { id })
  const namesake = parsed.name && catalogue.find(h => h.id !== id && h.name.toLowerCase() === parsed.name!.toLowerCase())
  if (namesake) throw new OperatorActionError("hat_exists", { name: namesake.name })
  const stamp = { editedBy: ctx.actor.name, editedAt: ctx.now ?? Date.now() }
  const { origin: _origin, ...fields } = current
  const next: HatRecord = { ...fields, ...parsed, ...stamp } as HatRecord
  handle.change(d => {
    if (!d.hats) throw new OperatorActionError("skills_missing")
    const stored = d.hats[id]
    // A default hat's first edit stores the whole hat; later edits change only what they name.
    if (!stored) d.hats[id] = next
    else for (const [key, value] of Object.entries({ ...parsed, ...stamp })) (stored as Record<string, unknown>)[key] = value
  })
  await ctx.audit.append("hat", id, { action: "edited", fields: Object.keys(parsed) })
  return { ...next, origin: current.origin === "added" ? "added" : "edited" }
}
