/**
 * Who may write artifacts. An artifact is written by whoever made it and, for a task's
 * artifact, by the later runs of that task:
 *
 * - a worker writes the artifacts of a task it ran, under that run (authorizeRun), for that
 *   task's resident only (for none when the task is aimed at none), and never an operator's;
 * - an operator writes the artifacts it made, outside any run, and of a resident's only the
 *   journal roll-up it keeps (its id names both: rollupId);
 * - a version goes after the last one, numbered by its position; it never changes and is never
 *   removed; version 1 is written by the artifact's maker;
 * - the index lists each artifact once: what identifies it never changes, its summary of the
 *   latest version only moves forward, and no entry is removed.
 *
 * Whether the index's summary matches the artifact's own document is the readers' check
 * (rules.ts latestNote): the two documents sync separately, and the gate judges one at a time.
 */
import type { Actor, ArtifactEntry, ArtifactIdentity, ArtifactSummary, ArtifactVersion } from "../../../schemas/index.ts"
import type { Principal } from "../../core/principal.ts"
import { actorKindOf, ALLOWED, authorizeRun, changedFields, refused, refusePending, type AuthorityContext, type AuthorityVerdict } from "../../core/authority/verdict.ts"
import { rollupId, sameActor } from "./rules.ts"

export interface ArtifactContext extends AuthorityContext {
  /** The artifact document's identity; undefined when it has none that is valid. */
  artifact: ArtifactIdentity | undefined
  /** The document's versions as the relay holds them (as the peer creates them, for a new document). */
  versions: readonly { sha256?: unknown }[]
}

const actorName = (a: Actor) => `${a.kind} ${a.name}`

/**
 * Whether `who` may write `written` (a version, or the index's summary of one) of `artifact`;
 * `what` names it in the refusal.
 */
function writerVerdict(artifact: ArtifactIdentity, written: Pick<ArtifactSummary, "version" | "by" | "run">, who: Principal, ctx: AuthorityContext, what: string): AuthorityVerdict {
  const kind = actorKindOf(who)
  if (!kind) return refused(`${who.peer} (${who.role}) writes no artifacts: workers and operators do`)
  if (!sameActor(written.by, { kind, name: who.peer })) return refused(`${what} says it was written by ${actorName(written.by)}, but ${who.peer} wrote it`)
  if (written.version === 1 && !sameActor(artifact.by, written.by)) return refused(`${what}: version 1 is written by the artifact's maker (${actorName(artifact.by)}), not by ${who.peer}`)
  if (kind === "worker" && !written.run) return refused(`${what} names no run: a worker writes an artifact only under a run of the task it belongs to`)
  const run = authorizeRun(written.run, who, ctx, what)
  if (!run.ok) return run
  if (kind === "operator") {
    if (!sameActor(artifact.by, written.by)) return refused(`artifact ${artifact.id} was made by ${actorName(artifact.by)}: an operator adds versions only to the artifacts it made`)
    if (artifact.author && artifact.id !== rollupId(artifact.by.name, artifact.author))
      return refused(`artifact ${artifact.id} is by resident ${artifact.author}: an operator writes no resident's artifacts but the journal roll-up it keeps (they come from the runs of its tasks)`)
    return ALLOWED
  }
  if (artifact.by.kind !== "worker") return refused(`artifact ${artifact.id} was made by ${actorName(artifact.by)}: a worker writes only the artifacts of the tasks it runs`)
  const taskId = written.run!.taskId
  if (artifact.task !== taskId) return refused(`${what} names a run of task ${taskId}, but artifact ${artifact.id} belongs to ${artifact.task ? `task ${artifact.task}` : "no task"}`)
  const target = ctx.taskTarget?.(taskId)
  if (!target) return refused(`${what}: the relay does not hold task ${taskId}, so it cannot tell whose artifact this is`)
  if (target.resident !== artifact.author)
    return refused(
      `artifact ${artifact.id} is written as ${artifact.author ? `resident ${artifact.author}'s` : "no resident's"}, but task ${taskId} is ${target.resident ? `${target.resident}'s` : "aimed at no resident"}: a worker writes artifacts only for the resident of the task it ran`,
    )
  return ALLOWED
}

/** A version of an artifact's document (its `versions` list): appended in order, never changed or removed. */
export function authorizeArtifactVersionChange(before: ArtifactVersion | undefined, after: ArtifactVersion | undefined, who: Principal, ctx: ArtifactContext): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  const id = ctx.artifact?.id ?? "(unreadable)"
  // The gate asks about a rewritten version as if it were removed (it sees the old one go).
  if (before && !after) return refused(`version ${before.version} of artifact ${id} is never removed or rewritten: an artifact keeps every version`)
  if (before && after) return refused(`version ${before.version} of artifact ${id} never changes: a change is a new version, added after the last one`)
  if (!after) return ALLOWED
  if (!ctx.artifact) return refused("this artifact document has no valid id, maker, resident and task: no version is added to it")
  const position = Number(ctx.key) + 1
  if (after.version !== position) return refused(`artifact ${id}: the version at position ${position} is numbered ${position}, not ${after.version}`)
  // Appended: the version already at this position (as the relay holds it) is this very one only in a new document.
  const there = ctx.versions[position - 1]
  if (there !== undefined && there.sha256 !== after.sha256) return refused(`artifact ${id}: a new version goes after the last one, never in the place of version ${position}`)
  return writerVerdict(ctx.artifact, after, who, ctx, `version ${after.version} of artifact ${id}`)
}

/** An artifact's entry in the index: listed once, its identity fixed, its latest version only moving forward. */
export function authorizeArtifactEntryChange(before: ArtifactEntry | undefined, after: ArtifactEntry | undefined, who: Principal, ctx: AuthorityContext): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  if (!after) return refused(`artifact ${ctx.key} is never removed from the index: an artifact keeps every version`)
  if (after.id !== ctx.key) return refused(`artifact ${after.id} is stored under the key ${ctx.key}: an artifact's key must be its id`)
  if (before) {
    const fixed = changedFields(before, after).filter(f => f !== "latest")
    if (fixed.length) return refused(`artifact ${after.id}: ${fixed.join(", ")} never change${fixed.length === 1 ? "s" : ""}; a new version moves only the index's summary of the latest`)
    if (after.latest.version <= before.latest.version)
      return refused(`artifact ${after.id}: the index lists version ${before.latest.version}; it moves on to a later version, never to ${after.latest.version}`)
  }
  return writerVerdict(after, after.latest, who, ctx, `the index's latest version of artifact ${after.id}`)
}
