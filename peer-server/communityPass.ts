/**
 * The community's consequences as a relay extension, acting as `system`: after a change to the
 * community document or the queue (and once per tick) it decides the vote rounds that reached
 * their quorum (guild joins, journal reviews) and follows disputes (a mediation task, its
 * answer's outcome). The relay is the one writer of decisions, so each is made once; every
 * consequence is in the relay's audit log and every payment is signed with its key.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import type { CommunityDoc } from "../schemas/index.ts"
import { followDisputes } from "../src/domain/disputes/index.ts"
import { decideJoinRequests } from "../src/domain/guilds/index.ts"
import { decideJournalReviews } from "../src/domain/journalReviews/index.ts"
import { passOnChanges } from "./coalescedPass.ts"
import type { RelayExtension } from "./extension.ts"

export function communityPass(opts: { tickMs?: number } = {}): RelayExtension {
  let stop: (() => Promise<void>) | undefined
  return {
    name: "community",
    async onStart(ctx) {
      const ws = ctx.workspace
      const signer = ctx.audit.signer
      // Reviews whose reward the ledger shows: checked once per relay run, not on every pass.
      const rewarded = new Set<string>()
      const community = ws.root.docs.community ? await ctx.repo.find<CommunityDoc>(ws.root.docs.community as AutomergeUrl) : undefined
      stop = passOnChanges(
        async () => {
          const now = Date.now()
          const events = [...(await decideJoinRequests(ws, now)), ...(await decideJournalReviews(ws, signer, now, rewarded)), ...(await followDisputes(ws, signer, now))]
          for (const e of events) ctx.auditLater("community", e.subject, { action: e.action, ...e.detail })
        },
        { sources: [ws.tasks, community], tickMs: opts.tickMs ?? 2_000, onError: error => ctx.log(`community pass failed (will retry): ${error.message}`) },
      )
    },
    onStop: () => stop?.(),
  }
}
