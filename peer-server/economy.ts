/**
 * The relay's economy loop, acting as `system`: the automatic consequences of what operators
 * and workers write. It reads the merged documents, so each consequence happens once; every
 * write is idempotent (ledger keys, fixed message ids, state checks), so a restart or a
 * second pass repeats nothing.
 *
 * - an approved task: its update is posted to its room, its resident gets the phase-5 reward
 *   and the operator's tip (only for a decision whose signature the chain of authority
 *   accepts: the workspace's task view shows any other as still pending_review), the feedback goes to the resident as a DM, a quest task moves its
 *   quest to awaiting_approval (a failed one to failed);
 * - a task waiting for review: one mailbox notice per task;
 * - every resident: the daily allowance, but for one whose dispute was upheld, while that
 *   suspends it (src/domain/disputes: the days it misses are never paid);
 * - resident leases: one worker plays a resident at a time;
 * - skills: a decided task routed to a skill is counted in its metrics, and a pattern of
 *   approved tasks becomes a proposed skill (used once an operator approves it).
 *
 * Every payment is signed with the relay's key (`signer`): readers count no other grant by `system`.
 */
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo"
import createDebug from "debug"
import type { AuditKind, Dispute, IdentitiesDoc, RootDoc, Task } from "../schemas/index.ts"
import { DAILY_ALLOWANCE, dayIndex, ledgerKeys, phase5Reward, grant, openWallets, type Ledger } from "../src/domain/wallets/index.ts"
import { level, planResidentLeases, residentHolders } from "../src/domain/residents/index.ts"
import { isApprovedWorker, isOnline } from "../src/domain/tasks/index.ts"
import { ONLINE_WINDOW_MS } from "../src/core/defaults.ts"
import { readDisputes, readIdentities, readResidentLeases } from "../src/workspace/documentReaders.ts"
import { isSuspended } from "../src/domain/disputes/index.ts"
import { openCommunity } from "../src/domain/guilds/index.ts"
import { answerMail, pendingApprovalNotice } from "../src/domain/mailbox/index.ts"
import { followQuestTask } from "../src/domain/quests/index.ts"
import { postTaskUpdate, sendFeedbackDm } from "../src/domain/rooms/index.ts"
import { applySkillDraft, countSkillUse, proposeSkills } from "../src/domain/skills/index.ts"
import type { RecordSigner } from "../src/core/signedRecords.ts"
import type { Workspace } from "../src/workspace/workspace.ts"
import { coalescedPass } from "./coalescedPass.ts"
import type { RelayExtension } from "./extension.ts"
import { SYSTEM } from "./scheduler.ts"

const debug = createDebug("app:relay:economy")

export interface EconomyOptions {
  /** The relay's identity: signs every payment. */
  signer: RecordSigner
  /** Length of a resident-day for the allowance (default 24 h). */
  dayMs?: number
  onlineWindowMs?: number
  audit?: (kind: AuditKind, subject: string, data: Record<string, unknown>) => void
  log?: (line: string) => void
}

export class Economy {
  readonly #ws: Workspace
  readonly #opts: EconomyOptions
  #identities?: DocHandle<IdentitiesDoc>
  #holders = new Map<string, string>()
  #timer?: NodeJS.Timeout
  /** Failed tasks already counted in their resident's continuity (a failure has no marker document). */
  readonly #failedSeen = new Set<string>()
  /** `taskId:status` pairs whose consequences are written. */
  readonly #done = new Set<string>()
  /** Coalesces bursts of document changes into one pass (consequences may lag by ~100 ms). */
  readonly #passes = coalescedPass(() => this.runOnce(Date.now()), { onError: error => this.#opts.log?.(`economy pass failed (will retry): ${error.message}`) })
  readonly #trigger = this.#passes.trigger

  constructor(ws: Workspace, opts: EconomyOptions) {
    this.#ws = ws
    this.#opts = opts
  }

  /** resident → worker holding its lease, for the scheduler. */
  holders(): ReadonlyMap<string, string> {
    return this.#holders
  }

  async start(tickMs = 1_000): Promise<void> {
    const root = this.#ws.root
    this.#identities = await this.#ws.repo.find<IdentitiesDoc>(root.docs.identities as AutomergeUrl)
    this.#holders = residentHolders(this.#leasesOf(this.#identities))
    this.#ws.tasks.on("change", this.#trigger)
    this.#ws.rootHandle.on("change", this.#trigger)
    this.#identities.on("change", this.#trigger)
    this.#timer = setInterval(this.#trigger, tickMs)
    this.#timer.unref()
    // Failures already in the queue were counted by an earlier run; only new ones count.
    for (const t of this.#ws.tasks.entries.values()) if (t.status === "failed") this.#failedSeen.add(t.id)
    this.#trigger()
  }

  #countTask(resident: string, field: "tasksCompleted" | "tasksFailed"): void {
    const identities = this.#identities
    if (!identities?.doc().identities[resident]) return
    identities.change(d => {
      const who = d.identities[resident]
      if (who) who.continuity[field] += 1
    })
  }

  async stop(): Promise<void> {
    // No pass may start after this: the relay closes its storage next.
    clearInterval(this.#timer)
    this.#ws.tasks.off("change", this.#trigger)
    this.#ws.rootHandle.off("change", this.#trigger)
    this.#identities?.off("change", this.#trigger)
    await this.#passes.stop()
  }

  async runOnce(now: number): Promise<void> {
    const identities = this.#identities
    if (!identities) return
    // Opened on every pass: the open period's segment changes when the relay closes a period.
    const wallets = await openWallets(this.#ws)
    const residents = readIdentities(identities.doc(), `identities ${identities.url}`, [])
    this.#leaseResidents(identities, [...residents.keys()], now)
    const disputes = await this.#disputes()
    for (const id of residents.keys()) {
      if (isSuspended(id, disputes, now)) continue
      const key = ledgerKeys.allowance(id, dayIndex(now, this.#opts.dayMs))
      if ((await grant(wallets, { key, identity: id, amount: DAILY_ALLOWANCE, reason: "daily allowance", at: now }, this.#opts.signer)) === "written")
        this.#opts.audit?.("payout", id, { key, amount: DAILY_ALLOWANCE })
    }
    // Patterns change only with approvals: the skills' scan runs in passes that handled one.
    let approvals = false
    for (const task of this.#ws.tasks.entries.values()) {
      // Each consequence is checked against the documents once per task and status, then
      // remembered here, so a pass over a long queue costs a set lookup per finished task.
      const done = `${task.id}:${task.status}`
      if (this.#done.has(done)) continue
      if (task.status === "failed" && task.targetIdentity && !this.#failedSeen.has(task.id)) {
        this.#failedSeen.add(task.id)
        this.#countTask(task.targetIdentity, "tasksFailed")
      }
      try {
        if (await countSkillUse(this.#ws, task)) this.#opts.audit?.("skill", task.route!.skill!, { counted: task.id, status: task.status })
        if (task.status === "approved") {
          approvals = true
          await this.#afterApproval(task, wallets, now)
        } else if (task.status === "pending_review") await pendingApprovalNotice(this.#ws, task, now)
        else if (task.status !== "failed") continue
      } catch (error) {
        // One task whose documents are not readable yet must not hold up the others.
        debug("consequences of %s deferred: %s", task.id, (error as Error).message)
        continue
      }
      if (task.link?.kind === "quest" && task.status !== "pending_review") {
        let state: string | undefined
        try {
          state = await followQuestTask(this.#ws, task, SYSTEM, now)
        } catch {
          continue // the quest has not synced here yet: the next pass retries
        }
        if (state) this.#opts.audit?.("social", task.link.id, { quest: task.link.id, task: task.id, state })
      }
      this.#done.add(done)
    }
    if (approvals) for (const id of await proposeSkills(this.#ws, SYSTEM, now)) this.#opts.audit?.("skill", id, { action: "proposed", by: "pattern of approved tasks" })
  }

  /**
   * Pays first (idempotent by key), then posts the update: the post is the marker that the
   * approval was handled, so a crash in between repeats only payments that already exist.
   */
  async #afterApproval(task: Task, wallets: Ledger, now: number): Promise<void> {
    const ctx = { workspace: this.#ws, actor: SYSTEM, now }
    const resident = task.targetIdentity
    if (resident) {
      const paid: Record<string, number> = {}
      const reward = phase5Reward({ maxBudgetUsd: task.maxBudgetUsd, costUsd: task.result?.costUsd, confidence: task.review?.confidence })
      const signer = this.#opts.signer
      if (reward > 0 && (await grant(wallets, { key: ledgerKeys.reward(task.id, resident), identity: resident, amount: reward, reason: `approved under budget: ${task.id}`, at: now }, signer)) === "written")
        paid.reward = reward
      if (task.bonus && (await grant(wallets, { key: ledgerKeys.bonus(task.bonus.id, resident), identity: resident, amount: task.bonus.tokens, reason: `one-time bonus ${task.bonus.id}`, at: now }, signer)) === "written")
        paid.bonus = task.bonus.tokens
      // The task view passes a tip only with a decision signature it verified.
      const tip = task.review?.decisionSig ? (task.review.tip ?? 0) : 0
      if (tip > 0 && (await grant(wallets, { key: ledgerKeys.tip(task.id), identity: resident, amount: tip, reason: `tip from ${task.review?.decidedBy ?? "an operator"}: ${task.id}`, at: now }, signer)) === "written")
        paid.tip = tip
      if (task.review?.feedback && task.review.decidedBy) await sendFeedbackDm(ctx, task)
      const answered = await answerMail(this.#ws, task, signer, now)
      if (answered === "written" || answered === "unpaid") this.#opts.audit?.("social", task.id, { mail: answered === "written" ? "answered" : "answer not sent: the resident cannot pay", replyTo: task.link?.id ?? null })
      if (Object.keys(paid).length) this.#opts.audit?.("payout", task.id, { resident, ...paid })
    }
    const drafted = await applySkillDraft(this.#ws, task)
    if (drafted) this.#opts.audit?.("skill", task.link!.id, { action: "drafted", note: drafted })
    if ((await postTaskUpdate(ctx, task)) === "written") {
      if (resident) this.#countTask(resident, "tasksCompleted")
      debug("handled approval of %s", task.id)
    }
  }

  #leaseResidents(identities: DocHandle<IdentitiesDoc>, known: string[], now: number): void {
    const root: RootDoc = this.#ws.root
    const window = this.#opts.onlineWindowMs ?? ONLINE_WINDOW_MS
    const candidates = Object.values(root.peers).flatMap(p => {
      if (!isApprovedWorker(p)) return []
      const online = isOnline(p, now, window)
      if (!online && now - (p.lastSeen ?? -Infinity) >= window) return []
      return [{ name: p.name, identities: p.identities ?? [], ...(online ? {} : { away: true }) }]
    })
    // Residents a worker offers count too, so a worker may play one before its record syncs.
    const residents = new Set([...known, ...candidates.flatMap(c => c.identities)])
    const changes = planResidentLeases(residents, this.#leasesOf(identities), candidates)
    if (changes.length) {
      identities.change(d => {
        d.leases ??= {}
        for (const c of changes) {
          if (c.to) {
            d.leases[c.resident] = { holder: c.to, grantedAt: now, renewedAt: now }
            // A new lease starts a session of that resident.
            const who = d.identities[c.resident]
            if (who) {
              who.continuity.sessions += 1
              who.continuity.level = level(who.continuity.sessions)
            }
          } else delete d.leases[c.resident]
        }
      })
      for (const c of changes) this.#opts.audit?.("lease", c.resident, { action: "resident", from: c.from ?? null, to: c.to ?? null })
    }
    this.#holders = residentHolders(this.#leasesOf(identities))
  }

  /** The disputes as written, validated (none in a workspace from before the community document). */
  async #disputes(): Promise<Dispute[]> {
    if (!this.#ws.root.docs.community) return []
    const community = await openCommunity(this.#ws)
    return [...readDisputes(community.doc(), `community ${community.url}`, []).values()]
  }

  /** The leases as written, validated: a peer could have written anything into them. */
  #leasesOf(identities: DocHandle<IdentitiesDoc>) {
    return readResidentLeases(identities.doc(), `identities ${identities.url}`, [])
  }
}

export interface EconomyLoop extends RelayExtension {
  /** resident → worker holding its lease (empty until the loop started). */
  holders(): ReadonlyMap<string, string>
}

/** The economy as a relay extension: every payment signed with the relay's key, every one audited. */
export function economyLoop(opts: Pick<EconomyOptions, "dayMs" | "onlineWindowMs"> & { tickMs?: number } = {}): EconomyLoop {
  let economy: Economy | undefined
  return {
    name: "economy",
    holders: () => economy?.holders() ?? new Map(),
    async onStart(ctx) {
      economy = new Economy(ctx.workspace, {
        signer: ctx.audit.signer,
        ...(opts.dayMs !== undefined ? { dayMs: opts.dayMs } : {}),
        ...(opts.onlineWindowMs !== undefined ? { onlineWindowMs: opts.onlineWindowMs } : {}),
        audit: ctx.auditLater,
        log: ctx.log,
      })
      await economy.start(opts.tickMs)
    },
    onStop: () => economy?.stop(),
  }
}
