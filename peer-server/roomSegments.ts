/**
 * The relay adds each room's next segment (src/domain/rooms/segments.ts) ahead of time: at
 * start, then every `intervalMs` (default an hour), so peers usually hold a period's
 * segment before it begins, and an old room gets its current period's segment at its
 * first start after the upgrade (its first document stays as it is).
 */
import { addDueSegments } from "../src/domain/rooms/index.ts"
import type { RelayContext, RelayExtension } from "./extension.ts"

export function roomSegmenter(opts: { intervalMs?: number; now?: () => number } = {}): RelayExtension {
  let timer: NodeJS.Timeout | undefined
  const now = opts.now ?? Date.now
  const pass = (ctx: RelayContext) =>
    addDueSegments(ctx.workspace, now()).then(
      added => {
        if (added) ctx.log(`added ${added} room segment${added === 1 ? "" : "s"}`)
      },
      error => ctx.log(`adding room segments failed (will retry): ${(error as Error).message}`),
    )
  return {
    name: "room-segments",
    async onStart(ctx) {
      await pass(ctx)
      timer = setInterval(() => void pass(ctx), opts.intervalMs ?? 3600_000)
      timer.unref()
    },
    onStop: () => clearInterval(timer),
  }
}
