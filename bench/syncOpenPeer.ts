/**
 * Child process of the sync benchmark (part 2): a fresh peer opens a big workspace from a
 * relay, and reports how long it took and how much memory it grew by.
 *
 *   node --expose-gc dist/bench/syncOpenPeer.js '<json config>'   (built by bench/lib/openPeer.ts)
 *
 * Prints one line, `RESULT {json}` or `FAILED {json}`. Modules are imported before the
 * clock starts, so the time covers connecting, syncing, materialising and (vivarium)
 * validating only.
 */
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo"
import { monitorEventLoopDelay } from "node:perf_hooks"
import { Message, type QueueDoc, type RoomDoc, type RoomIndexDoc } from "../schemas/index.ts"
import { validateList } from "../src/core/validate.ts"
import { connectBenchPeer, whenDoc, type BenchPeer } from "./lib/peers.ts"
import type { SystemName } from "./lib/relays.ts"

export interface OpenConfig {
  system: SystemName
  wsUrl: string
  token: string
  dataDir: string
  /** Bare only: the documents to find (a Vivarium peer discovers them from the root). */
  queueUrl?: string
  roomUrl?: string
  tasks: number
  messages: number
  /** false: ready once the tasks are (a worker or CLI peer ready to work); the room is not opened. */
  room?: boolean
}

export interface OpenResult {
  system: SystemName
  /** connectPeer() (vivarium: HTTP lookup + WebSocket + Workspace.open) or bare connect. */
  connectMs: number
  /** From start until all tasks are present (vivarium: validated in workspace.tasks). */
  tasksReadyMs: number
  /** From start until the room document is open with all messages (vivarium: validated). */
  allReadyMs: number
  /** Vivarium only: time spent in validateList over the room messages. */
  roomValidateMs: number
  /** Longest single stretch the event loop was blocked (one big Automerge call). */
  maxBlockMs: number
  cpuMs: number
  rssDelta: number
  heapUsedDelta: number
  externalDelta: number
  rssAfter: number
  heapUsedAfter: number
}

export interface OpenFailure {
  system: SystemName
  step: string
  afterMs: number
  maxBlockMs: number
  error: string
  /** When (ms after start) the relay connection dropped, if it did. */
  disconnectedAtMs?: number
}

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error("run with --expose-gc")
const config = JSON.parse(process.argv[2] ?? "{}") as OpenConfig
const TIMEOUT = 120_000

const blocks = monitorEventLoopDelay({ resolution: 10 })
let step = "connect"
let t0 = 0
let peer: BenchPeer | undefined
let disconnectedAtMs: number | undefined

async function open(): Promise<OpenResult> {
  gc!()
  gc!()
  const m0 = process.memoryUsage()
  const c0 = process.cpuUsage()
  blocks.enable()
  t0 = performance.now()
  peer = await connectBenchPeer(config.system, config)
  const connectMs = performance.now() - t0
  peer.repo.networkSubsystem.on("peer-disconnected", () => (disconnectedAtMs ??= performance.now() - t0))
  let queueHandle: DocHandle<QueueDoc>
  let roomHandle: DocHandle<RoomDoc>
  let validatedMessages: Message[] = []
  let tasksReadyMs: number
  let roomValidateMs = 0

  if (config.system === "vivarium") {
    const ws = peer.workspace!
    queueHandle = ws.queueHandle
    step = "tasks"
    // Workspace.open validated whatever had arrived; wait for the rest (event-driven).
    if (ws.tasks.entries.size < config.tasks)
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("tasks did not all arrive")), TIMEOUT)
        const check = () => {
          if (ws.tasks.entries.size < config.tasks) return
          clearTimeout(timer)
          ws.tasks.off("change", check)
          resolve()
        }
        ws.tasks.on("change", check)
      })
    tasksReadyMs = performance.now() - t0
    if (config.room === false) return finish(tasksReadyMs, queueHandle, undefined, [], 0)
    step = "room index"
    const index = await peer.repo.find<RoomIndexDoc>(ws.root.docs.rooms as AutomergeUrl)
    const roomUrl = index.doc().rooms["town_hall"]?.url
    if (!roomUrl) throw new Error("no town_hall room in the workspace")
    step = "room"
    roomHandle = await peer.repo.find<RoomDoc>(roomUrl as AutomergeUrl)
    await whenDoc(roomHandle, d => (d.messages?.length ?? 0) >= config.messages, TIMEOUT, "room messages")
    const v0 = performance.now()
    validatedMessages = validateList(Message, roomHandle.doc().messages, `room ${roomUrl}`, ["messages"], [])
    roomValidateMs = performance.now() - v0
    if (validatedMessages.length !== config.messages) throw new Error(`validated ${validatedMessages.length} messages`)
    if (ws.tasks.entries.size !== config.tasks) throw new Error(`validated ${ws.tasks.entries.size} tasks`)
  } else {
    step = "queue"
    queueHandle = await peer.repo.find<QueueDoc>(config.queueUrl as AutomergeUrl)
    await whenDoc(queueHandle, d => Object.keys(d.tasks ?? {}).length >= config.tasks, TIMEOUT, "tasks")
    tasksReadyMs = performance.now() - t0
    step = "room"
    roomHandle = await peer.repo.find<RoomDoc>(config.roomUrl as AutomergeUrl)
    await whenDoc(roomHandle, d => (d.messages?.length ?? 0) >= config.messages, TIMEOUT, "room messages")
  }
  return finish(performance.now() - t0, queueHandle, roomHandle, validatedMessages, roomValidateMs)

  /** Stops the clocks and reads the memory after a GC, keeping what was opened alive until then. */
  function finish(allReadyMs: number, queue: DocHandle<QueueDoc>, room: DocHandle<RoomDoc> | undefined, messages: Message[], roomValidateMs: number): OpenResult {
    const cpu = process.cpuUsage(c0)
    blocks.disable()
    gc!()
    gc!()
    const m1 = process.memoryUsage()
    // Keep everything measured alive until after the second reading.
    const keep = [queue.doc(), room?.doc(), messages, peer!.workspace?.tasks.entries.size]
    void keep.length
    return {
      system: config.system,
      connectMs,
      tasksReadyMs,
      allReadyMs,
      roomValidateMs,
      maxBlockMs: blocks.max / 1e6,
      cpuMs: (cpu.user + cpu.system) / 1000,
      rssDelta: m1.rss - m0.rss,
      heapUsedDelta: m1.heapUsed - m0.heapUsed,
      externalDelta: m1.external - m0.external,
      rssAfter: m1.rss,
      heapUsedAfter: m1.heapUsed,
    }
  }
}

try {
  const result = await open()
  console.log(`RESULT ${JSON.stringify(result)}`)
} catch (error) {
  const failure: OpenFailure = {
    system: config.system,
    step,
    afterMs: performance.now() - t0,
    maxBlockMs: blocks.max / 1e6,
    error: (error as Error).message,
    ...(disconnectedAtMs !== undefined ? { disconnectedAtMs } : {}),
  }
  console.log(`FAILED ${JSON.stringify(failure)}`)
}
await peer?.close().catch(() => {})
process.exit(0)
