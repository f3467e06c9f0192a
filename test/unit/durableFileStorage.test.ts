/**
 * The relay's durable storage adapter: the StorageAdapterInterface contract, crash-safe
 * writes, failing writes retried and reported, and damaged chunks found at load.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { next as A } from "@automerge/automerge"
import { describe, expect, it } from "vitest"
import { chunkProblem } from "../../peer-server/storage/chunkCheck.ts"
import { DamagedStorageError, DurableFileStorage, type WriteFaults } from "../../peer-server/storage/durableFileStorage.ts"
import { StorageHealth } from "../../peer-server/storage/storageHealth.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()
const bytes = (...b: number[]) => new Uint8Array(b)
const S1 = "a".repeat(64)
const I1 = "b".repeat(64)
const sorted = (chunks: { key: string[]; data?: Uint8Array }[]) => [...chunks].sort((a, b) => a.key.join("/").localeCompare(b.key.join("/")))

function storage(opts: { faults?: WriteFaults; essential?: (id: string) => boolean; log?: string[] } = {}) {
  const dir = join(makeTempDir(teardown, "vivarium-storage-"), "automerge")
  const health = new StorageHealth()
  const adapter = new DurableFileStorage(dir, {
    health,
    retry: { baseMs: 5, capMs: 20 },
    ...(opts.faults ? { faults: opts.faults } : {}),
    ...(opts.essential ? { essential: opts.essential } : {}),
    log: line => opts.log?.push(line),
  })
  teardown.add(() => adapter.close())
  return { dir, health, adapter }
}

/** A fault switch: while `error` is set every write fails with it. */
function faultSwitch(): WriteFaults & { error?: NodeJS.ErrnoException } {
  const faults: WriteFaults & { error?: NodeJS.ErrnoException } = { beforeWrite: () => faults.error }
  return faults
}
const enospc = () => Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" })

/** A real Automerge document's storage: one snapshot and one incremental chunk. */
function documentChunks() {
  let doc = A.from<{ tasks: Record<string, number> }>({ tasks: { a: 1 } })
  const snapshot = A.save(doc)
  const heads = A.getHeads(doc)
  doc = A.change(doc, d => {
    d.tasks.b = 2
  })
  doc = A.change(doc, d => {
    d.tasks.c = 3
  })
  return { snapshot, incremental: A.saveSince(doc, heads) }
}

describe("DurableFileStorage: the storage adapter contract", () => {
  it("loads what was saved, by exact key and by prefix; overwrites; removes", async () => {
    const { adapter } = storage()
    expect(await adapter.load(["AAAAA", "sync-state", "x"])).toBeUndefined()
    expect(await adapter.loadRange(["AAAAA"])).toEqual([])
    await adapter.save(["storage-adapter-id"], bytes(1, 2))
    expect(await adapter.load(["storage-adapter-id"])).toEqual(bytes(1, 2))

    const large = new Uint8Array(100_000).map((_, i) => i % 251)
    await adapter.save(["AAAAA", "sync-state", "x"], bytes(1))
    await adapter.save(["AAAAA", "sync-state", "z"], large)
    await adapter.save(["AAAAA", "other", "y"], bytes(2))
    await adapter.save(["BBBBB", "sync-state", "x"], bytes(3))
    expect(await adapter.load(["AAAAA", "sync-state", "z"])).toEqual(large)
    expect(sorted(await adapter.loadRange(["AAAAA"]))).toEqual([
      { key: ["AAAAA", "other", "y"], data: bytes(2) },
      { key: ["AAAAA", "sync-state", "x"], data: bytes(1) },
      { key: ["AAAAA", "sync-state", "z"], data: large },
    ])
    expect(sorted(await adapter.loadRange(["AAAAA", "sync-state"])).map(c => c.key)).toEqual([
      ["AAAAA", "sync-state", "x"],
      ["AAAAA", "sync-state", "z"],
    ])

    await adapter.save(["AAAAA", "sync-state", "x"], bytes(9))
    expect(await adapter.load(["AAAAA", "sync-state", "x"])).toEqual(bytes(9))
    await adapter.remove(["AAAAA", "other", "y"])
    await adapter.remove(["AAAAA", "other", "never-saved"])
    expect(await adapter.load(["AAAAA", "other", "y"])).toBeUndefined()
    await adapter.removeRange(["AAAAA", "sync-state"])
    expect(await adapter.loadRange(["AAAAA"])).toEqual([])
    expect(await adapter.loadRange(["BBBBB"])).toEqual([{ key: ["BBBBB", "sync-state", "x"], data: bytes(3) }])
    // Saving into a range removed earlier re-creates its directories.
    await adapter.save(["AAAAA", "sync-state", "x"], bytes(4))
    expect(await adapter.load(["AAAAA", "sync-state", "x"])).toEqual(bytes(4))
  })

  it("keeps NodeFSStorageAdapter's file layout, leaves no temporary files, and ignores one left by a crash", async () => {
    const { dir, adapter } = storage()
    await adapter.save(["AAAAA", "sync-state", "x"], bytes(1))
    expect(readdirSync(join(dir, "AA", "AAA", "sync-state"))).toEqual(["x"])
    writeFileSync(join(dir, "AA", "AAA", "sync-state", "y.123.1.tmp"), "half a write")
    expect(await adapter.loadRange(["AAAAA"])).toEqual([{ key: ["AAAAA", "sync-state", "x"], data: bytes(1) }])
  })
})

describe("DurableFileStorage: failing writes", () => {
  it("a save during ENOSPC resolves only once written, after the disk recovers; health says failing, then ok", async () => {
    const faults = faultSwitch()
    const log: string[] = []
    const { adapter, health } = storage({ faults, log })
    faults.error = enospc()
    let saved = false
    const save = adapter.save(["AAAAA", "sync-state", "x"], bytes(7)).then(() => (saved = true))
    await waitFor(() => health.failedWrites >= 3, { events: [[health, "change"]] })
    expect(saved).toBe(false)
    expect(await adapter.load(["AAAAA", "sync-state", "x"])).toBeUndefined()
    expect(health.state).toMatchObject({ failing: expect.stringContaining("ENOSPC") })
    expect(health.refusal()).toMatch(/cannot save changes now \(ENOSPC.*free/)
    expect(health.reasons()).toEqual([expect.stringMatching(/^storage failing since .*ENOSPC/)])
    expect(log).toEqual([expect.stringMatching(/ENOSPC.*retrying until it succeeds/)])

    faults.error = undefined
    await save
    expect(await adapter.load(["AAAAA", "sync-state", "x"])).toEqual(bytes(7))
    expect(health.state).toBe("ok")
    expect(health.refusal()).toBeUndefined()
  })

  it("stays failing while any write still fails, even if a smaller one gets through", async () => {
    let bigFits = false
    const { adapter, health } = storage({ faults: { beforeWrite: what => (what.includes("big") && !bigFits ? enospc() : undefined) } })
    const bigSave = adapter.save(["AAAAA", "snapshot", "big"], new Uint8Array(1000))
    await waitFor(() => health.failedWrites >= 1, { events: [[health, "change"]] })
    await adapter.save(["AAAAA", "incremental", "small"], bytes(1))
    expect(health.failing).toBe(true)
    bigFits = true
    await bigSave
    expect(health.state).toBe("ok")
  })

  it("after stopRetrying a failing write gets one attempt and is given up (no rejection to automerge-repo)", async () => {
    const faults = faultSwitch()
    const log: string[] = []
    const { adapter, health } = storage({ faults, log })
    faults.error = enospc()
    const save = adapter.save(["AAAAA", "sync-state", "x"], bytes(7))
    await waitFor(() => health.failedWrites >= 1, { events: [[health, "change"]] })
    adapter.stopRetrying()
    await expect(save).resolves.toBeUndefined()
    expect(log.at(-1)).toMatch(/gave up on save .* while stopping \(ENOSPC\)/)
    expect(health.failing).toBe(true)
  })

  it("a programming error is not taken for a disk failure", async () => {
    const { adapter, health } = storage({ faults: { beforeWrite: () => { throw new TypeError("bug") } } })
    await expect(adapter.save(["AAAAA", "x"], bytes(1))).rejects.toThrow("bug")
    expect(health.failing).toBe(false)
  })
})

describe("damaged chunks", () => {
  it("chunkProblem accepts real chunks and names flipped, truncated, foreign and empty ones", () => {
    const { snapshot, incremental } = documentChunks()
    expect(chunkProblem(snapshot)).toBeUndefined()
    expect(chunkProblem(incremental)).toBeUndefined()
    expect(chunkProblem(new Uint8Array([...snapshot, ...incremental]))).toBeUndefined()
    const flipped = incremental.slice()
    flipped[flipped.length - 3]! ^= 0xff
    // Automerge itself loads this one without complaint, and without the damaged change.
    expect(A.loadIncremental(A.load<{ tasks: Record<string, number> }>(snapshot), flipped).tasks).toEqual({ a: 1, b: 2 })
    expect(chunkProblem(flipped)).toMatch(/checksum mismatch/)
    expect(chunkProblem(snapshot.subarray(0, snapshot.length - 10))).toMatch(/truncated/)
    expect(chunkProblem(new Uint8Array(64))).toMatch(/no chunk starts at byte 0/)
    expect(chunkProblem(new Uint8Array(0))).toBe("empty file")
  })

  it("a damaged chunk is moved aside and reported; the document loads from the rest", async () => {
    const { dir, adapter, health } = storage()
    const { snapshot, incremental } = documentChunks()
    await adapter.save(["DOCXYZ", "snapshot", S1], snapshot)
    await adapter.save(["DOCXYZ", "incremental", I1], incremental.subarray(0, incremental.length - 4))
    const chunks = await adapter.loadRange(["DOCXYZ"])
    expect(chunks.map(c => c.key)).toEqual([["DOCXYZ", "snapshot", S1]])
    expect(health.damaged).toEqual([
      { documentId: "DOCXYZ", file: join(dir, "DO", "CXYZ", "incremental", I1), problem: expect.stringMatching(/truncated/), movedTo: join(`${dir}-damaged`, "DOCXYZ", `incremental-${I1}`) },
    ])
    expect(existsSync(join(`${dir}-damaged`, "DOCXYZ", `incremental-${I1}`))).toBe(true)
    expect(health.warnings()).toEqual([expect.stringMatching(/^document DOCXYZ: damaged storage chunk .*bbbb \(truncated.*moved to/)])
    expect(health.failing).toBe(false)
  })

  it("a damaged chunk of an essential document fails the load, naming the file and what to do", async () => {
    const { dir, adapter } = storage({ essential: id => id === "ROOTDOC" })
    mkdirSync(join(dir, "RO", "OTDOC", "snapshot"), { recursive: true })
    writeFileSync(join(dir, "RO", "OTDOC", "snapshot", S1), new Uint8Array(40))
    const load = adapter.loadRange(["ROOTDOC", "snapshot"])
    await expect(load).rejects.toThrow(DamagedStorageError)
    await expect(load).rejects.toThrow(/ROOTDOC is damaged on disk: .*RO\/OTDOC\/snapshot\/a{64} \(no chunk starts.*Restore the data directory from a backup/)
  })
})
