/**
 * The relay adds each peer's next audit segment (src/domain/audit/segments.ts) ahead of
 * time: at start, then every `intervalMs` (default an hour), so a peer usually holds a
 * period's segment before it begins, and a log from before segments gets its current
 * period's segment at the first start after the upgrade (its first document stays as it is).
 */
import { addDueAuditSegments } from "../src/domain/audit/index.ts"
import type { RelayContext, RelayExtension } from "./extension.ts"

export function auditSegmenter(opts: { intervalMs?: number; now?: () => number } = {}): RelayExtension {
  let timer: NodeJS.Timeout | undefined
  const now = opts.now ?? Date.now
  const pass = (ctx: RelayContext) => {
    try {
      const added = addDueAuditSegments(ctx.workspace, now())
      if (added) ctx.log(`added ${added} audit segment${added === 1 ? "" : "s"}`)
    } catch (error) {
      ctx.log(`adding audit segments failed (will retry): ${(error as Error).message}`)
    }
  }
  return {
    name: "audit-segments",
    onStart(ctx) {
      pass(ctx)
      timer = setInterval(() => pass(ctx), opts.intervalMs ?? 3600_000)
      timer.unref()
    },
    onStop: () => clearInterval(timer),
  }
}
