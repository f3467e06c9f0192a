/**
 * Residents' identities and memory: the identity forge, profile and mutable attributes
 * (operator writes, audited as "social"), and the journal a resident writes and recalls
 * (worker writes: no OperatorContext). The rules themselves are pure, in src/domain/residents/forge.ts,
 * journal.ts and profileSanitizer.ts.
 *
 * Concurrency: ids come from the name (`ada-lovelace`, then `-2` …), made unique against
 * the identities this peer sees. Two operators forging the same name while offline both
 * pick `ada-lovelace`; after the merge the map key holds ONE of the two identities (the
 * CRDT's deterministic winner) and the other is gone, its journal document orphaned. Its
 * seed stays marked used and both forges are in the audit logs, so the loss is visible.
 * Online, the second forge sees the first (and the name rules refuse a duplicate anyway).
 */
import type { AutomergeUrl, DocHandle, Repo } from "@automerge/automerge-repo/slim"
import { z } from "zod"
import {
  Identity,
  JournalEntry,
  LIMITS,
  SCHEMA_VERSION,
  type IdentitiesDoc,
  type JournalDoc,
  type RunRef,
  MUTABLE_ATTRIBUTES,
  type MutableAttribute,
} from "../../../schemas/index.ts"
import { checkForge, ForgeError, freshSeed, level } from "./forge.ts"
import { ForgeInput } from "./inputs.ts"
import { newId } from "../../core/ids.ts"
import { journalQuality, recall, type MemoryIndex, type RecallOptions } from "./journal.ts"
import { PROFILE_MAX_CHARS, sanitizeProfile, validateProfile } from "./profileSanitizer.ts"
import { assertDocumentKind, validateList, type DataIssue } from "../../core/validate.ts"
import { readIdentities, readJournalEntries } from "../../workspace/documentReaders.ts"
import { OperatorActionError, openDoc, parseInput, type OperatorContext } from "../../workspace/actionContext.ts"
import type { Workspace } from "../../workspace/workspace.ts"

/** Every valid resident of the workspace. */
export async function residents(workspace: Workspace): Promise<ReadonlyMap<string, Identity>> {
  const handle = await openDoc<IdentitiesDoc>(workspace, workspace.root.docs.identities)
  return readIdentities(handle.doc(), `identities ${handle.url}`, [])
}

/** The resident `id`, or a refusal naming it. */
export async function residentOf(workspace: Workspace, id: string): Promise<Identity> {
  const found = (await residents(workspace)).get(id)
  if (!found) throw new OperatorActionError("not_found", { thing: "resident", id })
  return found
}

/**
 * "Ada Lovelace" → "ada-lovelace"; a name with no letters or digits gives "resident". The
 * base of a forged resident's id (forgeIdentity below, the only way to add one).
 */
export function slugOf(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60)
    .replace(/-+$/, "")
  return slug || "resident"
}


interface IdentitiesState {
  handle: DocHandle<IdentitiesDoc>
  identities: ReadonlyMap<string, Identity>
  /** Every id key present, valid or not: a new id never overwrites one. */
  keys: ReadonlySet<string>
  /** Seed → the identity that used it, from `seedsUsed` and from identities' own `seed`. */
  seeds: ReadonlyMap<string, string>
}

async function identitiesState(ctx: OperatorContext): Promise<IdentitiesState> {
  const handle = await openDoc<IdentitiesDoc>(ctx.workspace, ctx.workspace.root.docs.identities)
  const doc = handle.doc()
  const identities = readIdentities(doc, `identities ${handle.url}`, [])
  const seeds = new Map<string, string>()
  // A peer may write anything here: only the seed keys matter, their records are not trusted.
  const used: unknown = doc.seedsUsed
  if (used && typeof used === "object" && !Array.isArray(used))
    for (const [seed, record] of Object.entries(used)) seeds.set(seed, String((record as { identity?: unknown } | null)?.identity ?? "another resident"))
  for (const identity of identities.values()) if (identity.seed && !seeds.has(identity.seed)) seeds.set(identity.seed, identity.id)
  return { handle, identities, keys: new Set(Object.keys(doc.identities ?? {})), seeds }
}

function uniqueId(name: string, taken: ReadonlySet<string>): string {
  const base = slugOf(name)
  let id = base
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`
  return id
}

/**
 * Forges a resident: checks the naming rules and the seed (a fresh one is drawn when none
 * is given), writes the identity with its new journal document, marks the seed used and
 * audits it. Refusals (OperatorActionError) write nothing; a naming refusal says to choose a
 * completely different name.
 */
export async function forgeIdentity(ctx: OperatorContext, input: ForgeInput, random: () => number = Math.random): Promise<Identity> {
  const e = parseInput(ForgeInput, input)
  const state = await identitiesState(ctx)
  const seed = e.seed ?? freshSeed(state.seeds, random)
  try {
    checkForge({ name: e.name, summary: e.summary, statement: e.statement, seed }, state.identities.values(), state.seeds)
  } catch (error) {
    if (error instanceof ForgeError) throw OperatorActionError.from(error)
    throw error
  }
  const now = ctx.now ?? Date.now()
  const id = uniqueId(e.name, state.keys)
  const identity = parseInput(Identity, {
    id,
    name: e.name,
    createdAt: now,
    createdBy: ctx.actor.name,
    ...(e.summary ? { summary: e.summary } : {}),
    ...(e.statement ? { statement: e.statement } : {}),
    seed,
    ...(e.activities.length ? { preferredActivities: e.activities } : {}),
    core: { traits: e.traits, values: e.values },
    mutable: {},
    profile: { bio: e.bio },
    continuity: { sessions: 0, tasksCompleted: 0, tasksFailed: 0, level: level(0) },
  })
  const journal = ctx.workspace.repo.create<JournalDoc>({ schemaVersion: SCHEMA_VERSION, kind: "journal", identity: id, entries: [] })
  identity.journalUrl = journal.url
  state.handle.change(d => {
    d.identities[id] = identity
    if (!d.seedsUsed) d.seedsUsed = {}
    d.seedsUsed[seed] = { identity: id, at: now }
  })
  await ctx.audit.append("social", id, { action: "forge", name: identity.name, seed, journalUrl: journal.url })
  return identity
}

async function existing(ctx: OperatorContext, id: string): Promise<{ handle: DocHandle<IdentitiesDoc>; identity: Identity }> {
  const { handle, identities, keys } = await identitiesState(ctx)
  const identity = identities.get(id)
  if (identity) return { handle, identity }
  throw new OperatorActionError(keys.has(id) ? "unreadable" : "not_found", { thing: "resident", id })
}

export const ProfileEdit = z
  .object({
    bio: z.string().trim().max(LIMITS.message),
    html: z.string().max(PROFILE_MAX_CHARS),
    css: z.string().max(PROFILE_MAX_CHARS),
  })
  .partial()
  .strict()
export type ProfileEdit = z.input<typeof ProfileEdit>

/**
 * Changes a resident's bio and profile page. HTML or CSS with forbidden content (scripts,
 * handlers, `javascript:`, `url(` …) is refused with the list of problems; what is stored
 * is the sanitized form (empty removes the page).
 */
export async function updateProfile(ctx: OperatorContext, id: string, edit: ProfileEdit): Promise<Identity["profile"]> {
  const e = parseInput(ProfileEdit, edit)
  const { handle, identity } = await existing(ctx, id)
  const problems = validateProfile(e.html ?? "", e.css ?? "")
  if (problems.length) throw new OperatorActionError("profile_refused", { problems })
  const safe = sanitizeProfile(e.html ?? "", e.css ?? "")
  if (safe.html.length > PROFILE_MAX_CHARS) throw new OperatorActionError("too_long", { what: "page's HTML (once sanitized)", max: PROFILE_MAX_CHARS })
  const profile = { ...identity.profile }
  if (e.bio !== undefined) profile.bio = e.bio
  for (const key of ["html", "css"] as const) {
    if (e[key] === undefined) continue
    if (safe[key]) profile[key] = safe[key]
    else delete profile[key]
  }
  handle.change(d => {
    const target = d.identities[id]!.profile
    if (profile.bio !== target.bio) target.bio = profile.bio
    for (const key of ["html", "css"] as const) {
      if (profile[key] === undefined) delete target[key]
      else if (profile[key] !== target[key]) target[key] = profile[key]
    }
  })
  await ctx.audit.append("social", id, { action: "profile", fields: Object.keys(e) })
  return profile
}

const Attribute = z.string().trim().max(LIMITS.reason).nullable()

/** The attributes a resident may change about itself (§4.5's mutable attributes). */
export const MutableEdit = z
  .object(Object.fromEntries(MUTABLE_ATTRIBUTES.map(key => [key, Attribute])) as Record<MutableAttribute, typeof Attribute>)
  .partial()
  .strict()
export type MutableEdit = z.input<typeof MutableEdit>
export const MUTABLE_KEYS = MUTABLE_ATTRIBUTES

/** Sets mutable attributes (mood, focus, likes …); null or blank removes one. */
export async function updateMutable(ctx: OperatorContext, id: string, edit: MutableEdit): Promise<Identity["mutable"]> {
  const e = parseInput(MutableEdit, edit)
  const keys = Object.keys(e) as (keyof typeof e)[]
  if (!keys.length) throw new OperatorActionError("nothing_to_change", { fields: MUTABLE_KEYS })
  const { handle, identity } = await existing(ctx, id)
  handle.change(d => {
    const target = d.identities[id]!.mutable
    for (const key of keys) {
      const value = e[key]
      if (!value) delete target[key]
      else if (target[key] !== value) target[key] = value
    }
  })
  await ctx.audit.append("social", id, { action: "mutable", changes: e })
  const mutable = { ...identity.mutable }
  for (const key of keys) {
    const value = e[key]
    if (value) mutable[key] = value
    else delete mutable[key]
  }
  return mutable
}

// ── memory ──────────────────────────────────────────────────────────────────

/** A resident's journal document, or a refusal when its record names none. */
export async function journalOf(repo: Repo, identity: Identity): Promise<DocHandle<JournalDoc>> {
  if (!identity.journalUrl) throw new OperatorActionError("journal_missing", { id: identity.id })
  return repo.find<JournalDoc>(identity.journalUrl as AutomergeUrl)
}

export const JournalInput = z
  .object({
    kind: JournalEntry.shape.kind,
    content: z.string().trim().min(1, "the journal entry is empty").max(4_000),
  })
  .strict()
export type JournalInput = z.input<typeof JournalInput>

/**
 * Appends an entry, with its quality tier, to the resident's own journal. Called by the
 * worker playing the resident (it holds the resident's lease), hence no OperatorContext.
 */
export async function writeJournal(repo: Repo, identity: Identity, input: JournalInput, now: number = Date.now(), run?: RunRef): Promise<JournalEntry> {
  const e = parseInput(JournalInput, input)
  const handle = await journalOf(repo, identity)
  assertDocumentKind("journal", handle.doc(), `journal ${handle.url}`)
  const entry = parseInput(JournalEntry, { id: newId("journal", now), at: now, kind: e.kind, content: e.content, tier: journalQuality(e.content).tier, ...(run ? { run } : {}) })
  handle.change(d => {
    d.entries.push(entry)
  })
  return entry
}

/**
 * What the resident remembers about `query`: packed lines within the character budget ("" when
 * nothing matches). Notes of a stale run (`stale` gives the reason) are not remembered.
 */
export async function recallMemory(repo: Repo, identity: Identity, query: string, opts: RecallOptions = {}, stale: (run: RunRef | undefined) => string | undefined = () => undefined, index?: MemoryIndex): Promise<string> {
  const handle = await journalOf(repo, identity)
  return recall(readJournalEntries(handle.doc(), `journal ${handle.url}`, []).filter(e => !stale(e.run)), query, opts, index).text
}
