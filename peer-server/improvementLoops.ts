/**
 * Improvement loops as a relay extension, acting as `system`: after a change to the queue or
 * the proposals (and once per tick), each running loop takes its next step
 * (src/domain/proposals/consequences.ts); every step is in the relay's audit log.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import type { ProposalsDoc } from "../schemas/index.ts"
import { advanceLoops } from "../src/domain/proposals/index.ts"
import { passOnChanges } from "./coalescedPass.ts"
import type { RelayExtension } from "./extension.ts"
import { SYSTEM } from "./scheduler.ts"

export function improvementLoops(opts: { tickMs?: number } = {}): RelayExtension {
  let stop: (() => Promise<void>) | undefined
  return {
    name: "improvement-loops",
    async onStart(ctx) {
      const ws = ctx.workspace
      const proposals = ws.root.docs.proposals ? await ctx.repo.find<ProposalsDoc>(ws.root.docs.proposals as AutomergeUrl) : undefined
      stop = passOnChanges(
        async () => {
          for (const e of await advanceLoops(ws, SYSTEM, Date.now())) ctx.auditLater("loop", e.loop, { action: e.action, ...e.detail })
        },
        { sources: [ws.tasks, proposals], tickMs: opts.tickMs ?? 2_000, onError: error => ctx.log(`improvement loop pass failed (will retry): ${error.message}`) },
      )
    },
    onStop: () => stop?.(),
  }
}
