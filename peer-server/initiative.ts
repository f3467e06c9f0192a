/**
 * Residents' initiative, acting as `system`: for each resident a worker with a model plays, the people's
 * messages that ask for its answer and the open bounties that match its traits
 * (src/domain/residents/initiative.ts) become tasks of the resident's own — at most
 * INITIATIVE.perHour in any hour, each paid from its wallet (a spend the relay signs under
 * the key `initiative:<task>`), each reviewed like any task. An approved answer is posted to
 * the room as the resident by the economy (postTaskUpdate).
 *
 * Idempotent: the task's id is fixed by resident and stimulus, and the spend's key marks it
 * taken up for good (the task may be archived later), so a restart or a second pass starts
 * nothing twice. A resident that cannot pay leaves the stimulus alone.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import createDebug from "debug"
import type { AuditKind, IdentitiesDoc, Identity, Message, RoomDoc } from "../schemas/index.ts"
import { bountyTaskInput, readFencedBounties } from "../src/domain/bounties/index.ts"
import { INITIATIVE, bountyStimuli, initiativeLeft, isOwnTask, initiativeTaskId, messageStimuli, replyTask, type RoomRead, type Stimulus } from "../src/domain/residents/initiative.ts"
import { mergeSegments, roomSegments, rooms } from "../src/domain/rooms/index.ts"
import { writeSegment } from "../src/domain/rooms/segments.ts"
import { displayNameOf } from "../src/domain/peers/index.ts"
import { ledgerHas, openWallets, spend, walletOf, type Ledger } from "../src/domain/wallets/index.ts"
import type { RecordSigner } from "../src/core/signedRecords.ts"
import { readIdentities, readRoomMessages } from "../src/workspace/documentReaders.ts"
import type { Workspace } from "../src/workspace/workspace.ts"
import type { RelayExtension } from "./extension.ts"
import { SYSTEM } from "./scheduler.ts"

const debug = createDebug("app:relay:initiative")

export const initiativeKey = (taskId: string) => `initiative:${taskId}`

export interface InitiativeOptions {
  signer: RecordSigner
  /** resident → the worker playing it (the economy's leases). */
  holders: () => ReadonlyMap<string, string>
  audit?: (kind: AuditKind, subject: string, data: Record<string, unknown>) => void
}

export class Initiative {
  readonly #ws: Workspace
  readonly #opts: InitiativeOptions
  /** Room segments read in earlier passes, by url, with the heads they were read at. */
  readonly #segments = new Map<string, { heads: string; messages: Message[] }>()

  constructor(ws: Workspace, opts: InitiativeOptions) {
    this.#ws = ws
    this.#opts = opts
  }

  async runOnce(now: number): Promise<void> {
    const holders = this.#opts.holders()
    if (!holders.size) return
    const identities = await this.#ws.repo.find<IdentitiesDoc>(this.#ws.root.docs.identities as AutomergeUrl)
    // Answers need a model: only residents played by a worker with a key take anything up.
    const keyed = (id: string) => this.#ws.root.peers[holders.get(id) ?? ""]?.hasLlmKey === true
    const played = [...readIdentities(identities.doc(), `identities ${identities.url}`, []).values()].filter(r => keyed(r.id))
    if (!played.length) return
    const [recent, bounties, ledger] = await Promise.all([this.#recentRooms(now), readFencedBounties(this.#ws), openWallets(this.#ws)])
    const peers = this.#ws.root.peers
    const who = { isPerson: (id: string) => peers[id]?.role === "operator", nameOf: (id: string) => displayNameOf(this.#ws.root, id) }
    for (const resident of played) {
      const stimuli = [...messageStimuli(resident, recent, who, now), ...bountyStimuli(resident, bounties.values())]
      let left = initiativeLeft(this.#ownTaskTimes(resident.id), now)
      for (const stimulus of stimuli) {
        if (left <= 0) break
        const taskId = initiativeTaskId(resident.id, stimulus)
        if (ledgerHas(ledger, initiativeKey(taskId))) continue
        if ((await walletOf(this.#ws, ledger, resident.id)).freeTime < INITIATIVE.cost) {
          debug("%s cannot pay for %s %s", resident.id, stimulus.kind, stimulus.id)
          break
        }
        await this.#takeUp(resident, stimulus, taskId, ledger, recent, now)
        left--
      }
    }
  }

  /** Queues the own task (unless a pass before a crash did), then pays for it: the spend marks it taken up. */
  async #takeUp(resident: Identity, stimulus: Stimulus, taskId: string, ledger: Ledger, recent: readonly RoomRead[], now: number): Promise<void> {
    if (!this.#ws.tasks.get(taskId)) {
      const input =
        stimulus.kind === "bounty"
          ? bountyTaskInput(stimulus.bounty, resident)
          : {
              ...replyTask(resident.name, stimulus, (recent.find(r => r.entry.id === stimulus.roomId)?.messages ?? []).filter(m => m.at < stimulus.message.at), id => displayNameOf(this.#ws.root, id)),
              targetIdentity: resident.id,
              link: { kind: "message" as const, id: stimulus.id },
              room: stimulus.roomId,
            }
      this.#ws.addTask({ ...input, ...INITIATIVE.budget }, SYSTEM, now, taskId)
    }
    await spend(this.#ws, ledger, { key: initiativeKey(taskId), identity: resident.id, amount: INITIATIVE.cost, bucket: "free_time", reason: `own task ${taskId}`, at: now }, this.#opts.signer)
    this.#opts.audit?.("social", taskId, { initiative: stimulus.kind, resident: resident.id, answers: stimulus.id, cost: INITIATIVE.cost })
  }

  /** When the resident's own tasks in the live queue were made (for the hourly limit). */
  #ownTaskTimes(resident: string): number[] {
    return [...this.#ws.tasks.entries.values()].filter(t => t.targetIdentity === resident && isOwnTask(t)).map(t => t.createdAt)
  }

  /**
   * Every room's messages of the last horizon: from the segment written to now and the one
   * before it (a period may have begun within the horizon). A segment is read again only
   * when it changed, so a pass over quiet rooms costs a heads comparison each.
   */
  async #recentRooms(now: number): Promise<RoomRead[]> {
    const out: RoomRead[] = []
    const read = new Set<string>()
    for (const entry of (await rooms(this.#ws)).values()) {
      const all = roomSegments(entry)
      const current = all.indexOf(writeSegment(all, now))
      const lists: Message[][] = []
      for (const segment of all.slice(current, current + 2)) {
        read.add(segment.url)
        lists.push(await this.#messagesOf(segment.url))
      }
      const recent = mergeSegments(lists).filter(m => now - m.at <= INITIATIVE.horizonMs)
      if (recent.length) out.push({ entry, messages: recent })
    }
    for (const url of this.#segments.keys()) if (!read.has(url)) this.#segments.delete(url)
    return out
  }

  async #messagesOf(url: string): Promise<Message[]> {
    const handle = await this.#ws.repo.find<RoomDoc>(url as AutomergeUrl)
    const heads = handle.heads().join(",")
    const kept = this.#segments.get(url)
    if (kept?.heads === heads) return kept.messages
    const messages = readRoomMessages(handle.doc(), `room ${url}`, [])
    this.#segments.set(url, { heads, messages })
    return messages
  }
}

/** The initiative pass as a relay extension, on its own timer (`tickMs`, default 2 s). */
export function residentInitiative(opts: Pick<InitiativeOptions, "holders"> & { tickMs?: number }): RelayExtension {
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  return {
    name: "initiative",
    onStart(ctx) {
      const initiative = new Initiative(ctx.workspace, { signer: ctx.audit.signer, holders: opts.holders, audit: ctx.auditLater })
      timer = setInterval(() => {
        running ??= initiative
          .runOnce(Date.now())
          .catch(error => ctx.log(`initiative pass failed (will retry): ${(error as Error).message}`))
          .finally(() => (running = undefined))
      }, opts.tickMs ?? 2_000)
      timer.unref()
    },
    async onStop() {
      clearInterval(timer)
      await running
    },
  }
}
