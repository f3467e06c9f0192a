/**
 * Child process of the sync benchmark (part 3): K operators, each its own peer (own Repo,
 * own WebSocket), typing into Automerge text at a fixed rate.
 *
 *   node bench/launch.js bench/syncTypists.ts
 *
 * stdin/stdout protocol, one line each:
 *   parent → `CONFIG {json}`   child connects every typist, finds its document → `READY`
 *   parent → `GO <epoch ms>`   typing starts at that wall-clock time, lasts durationMs → `DONE {json}`
 *   parent → `HEADS <n>`       → `HEADS <n> {json}`: each typist's document heads, sorted and joined
 *   parent → `EXIT` (or stdin closes)   child disconnects and exits
 */
import * as A from "@automerge/automerge"
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo"
import { createInterface } from "node:readline"
import type { QuestDoc } from "../schemas/index.ts"
import { connectBenchPeer, countMessages, countSentFrames, headsKey, type BenchPeer } from "./lib/peers.ts"
import { epochNow } from "./lib/proc.ts"
import type { SystemName } from "./lib/relays.ts"

export interface TypistsConfig {
  system: SystemName
  wsUrl: string
  token: string
  dataDir: string
  /** One entry per typist: the letter it types, its document, and the index of the newline it types before. */
  typists: { letter: string; docUrl: string; cursorIndex: number }[]
  periodMs: number
  durationMs: number
}

export interface TypistsDone {
  /** [typist, keystroke number, epoch ms just before handle.change] */
  sends: [number, number, number][]
  /** CPU of this process over the typing window, ms. */
  cpuMs: number
  /** Largest delay of a keystroke behind its schedule, ms (timer lateness under load). */
  maxLateMs: number
  /** Errors thrown by a typist's `handle.change` (that typist stops) or escaping from the repos. */
  errors: string[]
  /** Repo messages the typists received from the relay, and frames they sent it, over the typing window. */
  messagesIn: number
  messagesOut: number
}


const errors: string[] = []
// automerge-repo processes network messages outside any caller: record what escapes, keep typing.
process.on("uncaughtException", error => {
  errors.push(`uncaught: ${(error as Error).message}`)
  console.error(`typists: uncaught ${(error as Error).stack ?? error}`)
})

const framesSent = countSentFrames()
let peers: BenchPeer[] = []
let config: TypistsConfig | undefined
let exiting = false

async function exit(code: number): Promise<never> {
  if (!exiting) {
    exiting = true
    await Promise.all(peers.map(p => p.close().catch(() => {})))
  }
  process.exit(code)
}

async function prepare(cfg: TypistsConfig) {
  peers = await Promise.all(cfg.typists.map(() => connectBenchPeer(cfg.system, cfg, 120_000)))
  const handles = await Promise.all(cfg.typists.map((t, i) => peers[i]!.repo.find<QuestDoc>(t.docUrl as AutomergeUrl)))
  const cursors = cfg.typists.map((t, i) => A.getCursor(handles[i]!.doc(), ["objective"], t.cursorIndex))
  return { handles, cursors, counts: peers.map(p => countMessages(p.repo)) }
}

let prepared: { handles: DocHandle<QuestDoc>[]; cursors: A.Cursor[]; counts: { in: number; out: number }[] } | undefined

function type(cfg: TypistsConfig, startAt: number): Promise<TypistsDone> {
  const { handles, cursors, counts } = prepared!
  const sends: [number, number, number][] = []
  const c0 = process.cpuUsage()
  const received = () => counts.reduce((n, c) => n + c.in, 0)
  const in0 = received()
  const out0 = framesSent()
  let maxLateMs = 0
  const k = cfg.typists.length
  const endAt = startAt + cfg.durationMs
  const one = (i: number) =>
    new Promise<void>(resolve => {
      const offset = (i * cfg.periodMs) / k
      const letter = cfg.typists[i]!.letter
      let n = 0
      const next = () => {
        const due = startAt + offset + n * cfg.periodMs
        if (due >= endAt) return resolve()
        setTimeout(() => {
          const t = epochNow()
          maxLateMs = Math.max(maxLateMs, t - due)
          try {
            handles[i]!.change(d => A.splice(d, ["objective"], cursors[i]!, 0, letter))
          } catch (error) {
            errors.push(`typist ${i} keystroke ${n}: ${(error as Error).message}`)
            console.error(`typists: typist ${i}: ${(error as Error).stack ?? error}`)
            return resolve()
          }
          sends.push([i, n, t])
          n++
          next()
        }, Math.max(0, due - epochNow()))
      }
      next()
    })
  return Promise.all(cfg.typists.map((_, i) => one(i))).then(() => {
    const cpu = process.cpuUsage(c0)
    return { sends, cpuMs: (cpu.user + cpu.system) / 1000, maxLateMs, errors, messagesIn: received() - in0, messagesOut: framesSent() - out0 }
  })
}

process.once("SIGTERM", () => void exit(0))
process.stdin.on("end", () => void exit(0))
createInterface({ input: process.stdin }).on("line", line => {
  void (async () => {
    try {
      if (line.startsWith("CONFIG ")) {
        config = JSON.parse(line.slice(7)) as TypistsConfig
        prepared = await prepare(config)
        console.log("READY")
      } else if (line.startsWith("GO ")) {
        const done = await type(config!, Number(line.slice(3)))
        console.log(`DONE ${JSON.stringify(done)}`)
      } else if (line.startsWith("HEADS ")) {
        console.log(`${line} ${JSON.stringify(prepared!.handles.map(h => headsKey(h.doc())))}`)
      } else if (line === "EXIT") {
        await exit(0)
      }
    } catch (error) {
      console.error(`typists: ${(error as Error).stack ?? error}`)
      await exit(1)
    }
  })()
})

console.log("LOADED")
