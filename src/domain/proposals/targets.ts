/**
 * What a proposal's target holds and how it is written. Each kind of target lives in one
 * document (a hat's or skill's words in the skills document, a resident's bio and attributes
 * in the identities document, a room's topic in the room index, a runtime control in the
 * root document): its value is read as every reader reads it, that document's heads are the
 * checkpoint, and the write goes through the owning concept's own action (its rules, its
 * gate, its audit entry).
 */
import * as A from "@automerge/automerge/slim"
import type { DocHandle } from "@automerge/automerge-repo/slim"
import { z } from "zod"
import type { IdentitiesDoc, ProposalTarget, RoomIndexDoc, RootDoc, SkillsDoc } from "../../../schemas/index.ts"
import { OperatorActionError, openDoc, parseInput, type OperatorContext } from "../../workspace/actionContext.ts"
import { readHatRecords, readIdentities, readRoomIndex, readSkills } from "../../workspace/documentReaders.ts"
import type { Workspace } from "../../workspace/workspace.ts"
import { editHat } from "../hats/actions.ts"
import { hatCatalogue } from "../hats/catalogue.ts"
import { ControlsEdit, updateControls } from "../peers/actions.ts"
import { MutableEdit, updateMutable, updateProfile } from "../residents/actions.ts"
import { setRoomTopic } from "../rooms/actions.ts"
import { RoomTopic } from "../rooms/inputs.ts"
import { editSkill, openSkills } from "../skills/actions.ts"

type Of<K extends ProposalTarget["kind"]> = Extract<ProposalTarget, { kind: K }>

interface TargetKind<K extends ProposalTarget["kind"], D> {
  /** The document holding the target: its heads are the checkpoint. */
  open(workspace: Workspace): Promise<DocHandle<D>>
  /** The target's value in that document (or a view of it at some heads); undefined when absent. */
  read(doc: D, t: Of<K>): string | undefined
  /** The value as the owning action takes it; throws OperatorActionError when it cannot hold it. */
  check(t: Of<K>, value: string): void
  write(ctx: OperatorContext, t: Of<K>, value: string): Promise<void>
  /** The error when the target does not exist. */
  missing(t: Of<K>): OperatorActionError
}

/** A runtime control's value from the text a proposal holds ("0.5", "true", a model name). */
function controlValue(field: Of<"config">["field"], text: string): ControlsEdit {
  const raw = field === "reviewEverything" ? (text === "true" ? true : text === "false" ? false : text) : field === "defaultModel" ? text : text.trim() === "" ? Number.NaN : Number(text)
  return parseInput(ControlsEdit, { [field]: raw })
}

const notFound = (thing: string, id: string) => new OperatorActionError("not_found", { thing, id })

/** One table entry, its document type forgotten: each entry reads only the document its own `open` gives. */
const entry = <K extends ProposalTarget["kind"], D>(kind: TargetKind<K, D>) => kind as unknown as TargetKind<K, unknown>

const KINDS: { [K in ProposalTarget["kind"]]: TargetKind<K, unknown> } = {
  hat: entry<"hat", SkillsDoc>({
    open: openSkills,
    read: (doc: SkillsDoc, t) => hatCatalogue(readHatRecords(doc, "skills", [])).find(h => h.id === t.id)?.[t.field],
    check: () => {},
    write: (ctx, t, value) => editHat(ctx, t.id, { [t.field]: value }).then(() => undefined),
    missing: t => new OperatorActionError("hat_not_found", { id: t.id }),
  }),
  skill: entry<"skill", SkillsDoc>({
    open: openSkills,
    read: (doc: SkillsDoc, t) => readSkills(doc, "skills", []).get(t.id)?.[t.field],
    check: () => {},
    write: (ctx, t, value) => editSkill(ctx, t.id, { [t.field]: value }).then(() => undefined),
    missing: t => new OperatorActionError("skill_not_found", { id: t.id }),
  }),
  resident: entry<"resident", IdentitiesDoc>({
    open: ws => openDoc<IdentitiesDoc>(ws, ws.root.docs.identities),
    read: (doc: IdentitiesDoc, t) => {
      const who = readIdentities(doc, "identities", []).get(t.id)
      return !who ? undefined : t.field === "bio" ? who.profile.bio : (who.mutable[t.field] ?? "")
    },
    check: (t, value) => void parseInput(t.field === "bio" ? z.string().max(1_200) : MutableEdit.shape[t.field], value),
    write: (ctx, t, value) => (t.field === "bio" ? updateProfile(ctx, t.id, { bio: value }) : updateMutable(ctx, t.id, { [t.field]: value })).then(() => undefined),
    missing: t => notFound("resident", t.id),
  }),
  room: entry<"room", RoomIndexDoc>({
    open: ws => openDoc<RoomIndexDoc>(ws, ws.root.docs.rooms),
    read: (doc: RoomIndexDoc, t) => {
      const room = readRoomIndex(doc, "rooms", []).get(t.id)
      return room ? (room.topic ?? "") : undefined
    },
    check: (_t, value) => void parseInput(RoomTopic, value),
    write: (ctx, t, value) => setRoomTopic(ctx, t.id, value),
    missing: t => notFound("room", t.id),
  }),
  config: entry<"config", RootDoc>({
    open: async ws => ws.rootHandle as DocHandle<RootDoc>,
    read: (doc: RootDoc, t) => (doc.controls?.[t.field] === undefined ? undefined : String(doc.controls[t.field])),
    check: (t, value) => void controlValue(t.field, value),
    write: (ctx, t, value) => updateControls(ctx, controlValue(t.field, value)),
    missing: () => notFound("runtime control", "controls"),
  }),
}

const kindOf = <K extends ProposalTarget["kind"]>(t: Of<K>) => KINDS[t.kind] as TargetKind<K, unknown>

/** The target's value in its document (or a view of it at some heads); undefined when absent. */
export function targetValue(doc: unknown, t: ProposalTarget): string | undefined {
  return doc === undefined ? undefined : kindOf(t).read(doc, t)
}

/** The target's value now; undefined when it no longer exists. */
export async function targetNow(workspace: Workspace, t: ProposalTarget): Promise<string | undefined> {
  return targetValue((await kindOf(t).open(workspace)).doc(), t)
}

/** Refuses a value the target cannot hold (a control that is not a number, a bio too long), before anything is written. */
export function checkTargetValue(t: ProposalTarget, value: string): void {
  kindOf(t).check(t, value)
}

/** The target's current value and its document's heads now (the checkpoint before a write). */
export async function currentTarget(ctx: Pick<OperatorContext, "workspace">, t: ProposalTarget): Promise<{ value: string; heads: string[] }> {
  const kind = kindOf(t)
  const doc = (await kind.open(ctx.workspace)).doc()
  const value = kind.read(doc, t)
  if (value === undefined) throw kind.missing(t)
  return { value, heads: A.getHeads(doc as A.Doc<unknown>) }
}

/** The target's value at a checkpoint (its document as it was at `heads`). */
export async function targetAt(ctx: Pick<OperatorContext, "workspace">, t: ProposalTarget, heads: string[]): Promise<string | undefined> {
  const kind = kindOf(t)
  const doc = (await kind.open(ctx.workspace)).doc()
  try {
    return kind.read(A.view(doc as A.Doc<unknown>, heads), t)
  } catch {
    throw new OperatorActionError("point_not_held", { what: `the ${t.kind === "config" ? "workspace" : t.kind}'s document at that checkpoint` })
  }
}

/** Writes the target's value as this operator, through its owning concept's action. */
export async function writeTarget(ctx: OperatorContext, t: ProposalTarget, value: string): Promise<void> {
  await kindOf(t).write(ctx, t, value)
}
