/**
 * What the shell and the dashboard showed last, kept by this browser (IndexedDB, per
 * workspace) so the next start paints it at once, marked as this device's last view, while
 * the live documents load. It holds only what those screens show of replicated documents
 * (never a secret, never the join link), and it is read as hostile like everything stored:
 * a snapshot that fails this schema is ignored, never painted.
 */
import { z } from "zod"
import { KillSwitch, LIMITS, PeerName, TASK_STATUSES, Timestamp, type Task, type TaskStatus } from "../../../schemas/index.ts"
import { dashboardFigures, HOUR_MS, type DashboardFigures, type DashboardInput } from "../../core/dashboard.ts"
import { displayNameOf } from "../../domain/peers/index.ts"
import { taskSeries, type TaskSeries } from "../../domain/tasks/index.ts"

/** The dashboard's charts: 24 hourly buckets (a little room above that, nothing unbounded). */
export const CHART_BUCKETS = 24
const MAX_BUCKETS = 48
const MAX_REASONS = 20

const Count = z.number().int().nonnegative()
const Amount = z.number().nonnegative()
const Buckets = <T extends z.ZodType>(item: T) => z.array(item).max(MAX_BUCKETS)
const Level = z.enum(["ok", "watch", "critical"])

const Figures = z.strictObject({
  counts: z.strictObject(Object.fromEntries(TASK_STATUSES.map(s => [s, Count])) as Record<TaskStatus, typeof Count>),
  flow: z.strictObject({ approved: Count, failed: Count, perHour: Amount, hourly: Buckets(Count) }),
  // A zero cap spent past is an infinite fraction (dashboard.ts spendState).
  spend: z.strictObject({ spentUsd: Amount, capUsd: Amount, fraction: z.union([Amount, z.custom<number>(v => v === Infinity)]), level: Level }),
  workers: z.strictObject({ online: Count, approved: Count, pending: Count, revoked: Count }),
  health: z.strictObject({
    level: Level,
    reasons: z.array(z.strictObject({ level: Level.exclude(["ok"]), text: z.string().max(LIMITS.reason + 200) })).max(MAX_REASONS),
  }),
}) satisfies z.ZodType<DashboardFigures>

const Series = z.strictObject({
  ends: Buckets(Timestamp),
  approved: Buckets(Count),
  failed: Buckets(Count),
  spendUsd: Buckets(Amount),
  depth: Buckets(Count),
}) satisfies z.ZodType<TaskSeries>

export const CachedView = z.strictObject({
  version: z.literal(1),
  workspaceId: z.string().min(1).max(200),
  savedAt: Timestamp,
  workspaceName: z.string().max(LIMITS.name),
  operator: z.strictObject({ name: PeerName, displayName: z.string().max(LIMITS.name) }).optional(),
  killSwitch: KillSwitch,
  figures: Figures,
  series: Series,
})
export type CachedView = z.infer<typeof CachedView>

/** A stored snapshot for `workspaceId`, or undefined when there is none or it is not one (a damaged or foreign record is ignored). */
export function parseCachedView(stored: unknown, workspaceId: string): CachedView | undefined {
  const parsed = CachedView.safeParse(stored)
  return parsed.success && parsed.data.workspaceId === workspaceId ? parsed.data : undefined
}

/** The charts' clock: they move on once a minute, not with the clock's every second. */
export function chartMinute(now: number): number {
  return Math.ceil(now / 60_000) * 60_000
}

/** The dashboard's charts ending at `minute` (chartMinute): hourly buckets over the last day. */
export function dashboardSeries(tasks: Iterable<Task>, minute: number): TaskSeries {
  return taskSeries(tasks, { now: minute, buckets: CHART_BUCKETS, bucketMs: HOUR_MS })
}

/** What to keep of the live state: the shell's header and the dashboard's figures and charts. */
export function cachedViewOf(input: DashboardInput & { workspaceId: string; operatorName?: string }): CachedView {
  const { root, operatorName } = input
  return {
    version: 1,
    workspaceId: input.workspaceId,
    savedAt: input.now,
    workspaceName: root.name,
    operator: operatorName ? { name: operatorName, displayName: displayNameOf(root, operatorName) } : undefined,
    killSwitch: { ...root.controls.killSwitch },
    figures: dashboardFigures(input),
    series: dashboardSeries(input.tasks, chartMinute(input.now)),
  }
}
