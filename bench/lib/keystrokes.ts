/**
 * Watching keystrokes arrive, for the typing benchmarks: typist i types only letter i, so the
 * n-th such letter an observer's document shows is typist i's n-th keystroke.
 */
import type { DocHandle } from "@automerge/automerge-repo"
import type { QuestDoc } from "../../schemas/index.ts"
import { epochNow } from "./proc.ts"

export interface KeystrokeWatch {
  /** Waits until every keystroke sent (`[typist, n, epoch ms]`) has been seen, or `maxMs` passed. */
  drain(sends: readonly (readonly [number, number, number])[], maxMs: number): Promise<void>
  /** Keystroke → seen, ms, for keystrokes sent `warmupMs` after `startAt` or later (Infinity: never seen). */
  latencies(sends: readonly (readonly [number, number, number])[], startAt: number, warmupMs: number): number[]
}

/** Watches the `objective` text of `handles` for the letters of `letters` (one per typist). */
export function watchKeystrokes(handles: readonly DocHandle<QuestDoc>[], letters: string): KeystrokeWatch {
  const letterIndex = new Map([...letters].map((c, i) => [c, i]))
  const seen: number[][] = Array.from({ length: letters.length }, () => [])
  let expected: number[] | undefined
  let drained: (() => void) | undefined
  const isDrained = () => !!expected && expected.every((n, i) => seen[i]!.length >= n)
  for (const h of handles)
    h.on("change", ({ patches }) => {
      const t = epochNow()
      for (const p of patches) {
        if (p.action !== "splice" || p.path[0] !== "objective") continue
        for (const ch of p.value) {
          const i = letterIndex.get(ch)
          if (i !== undefined) seen[i]!.push(t)
        }
      }
      if (drained && isDrained()) drained()
    })
  return {
    async drain(sends, maxMs) {
      expected = Array.from({ length: letters.length }, () => 0)
      for (const [i] of sends) expected[i]!++
      if (isDrained()) return
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, maxMs)
        drained = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      drained = undefined
    },
    latencies(sends, startAt, warmupMs) {
      const out: number[] = []
      for (const [i, n, t] of sends) {
        if (t - startAt < warmupMs) continue
        const at = seen[i]![n]
        out.push(at === undefined ? Infinity : at - t)
      }
      return out
    },
  }
}
