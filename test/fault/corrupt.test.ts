/**
 * Fault campaign, damaged storage: a chunk file of one document is truncated or has flipped
 * bytes. The relay starts, names the document in its log and /healthz, and serves the rest;
 * a peer that still holds the document restores it. A damaged root stops the start with a
 * message that names the file and what to do.
 */
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { next as A } from "@automerge/automerge"
import { interpretAsDocumentId, type AutomergeUrl } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import { DamagedStorageError } from "../../peer-server/storage/durableFileStorage.ts"
import { SCHEMA_VERSION, type QueueDoc, type RoomDoc } from "../../schemas/index.ts"
import { connectTestPeer, operatorOf } from "../helpers/peers.ts"
import { startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()

/** The chunk files of a document in a relay's data dir, oldest first. */
function chunkFiles(dataDir: string, url: string): string[] {
  const id = interpretAsDocumentId(url as AutomergeUrl)
  const dir = join(dataDir, "automerge", id.slice(0, 2), id.slice(2))
  return ["snapshot", "incremental"]
    .flatMap(type => (existsSync(join(dir, type)) ? readdirSync(join(dir, type)).map(f => join(dir, type, f)) : []))
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs)
}

function flipByte(file: string): void {
  const bytes = readFileSync(file)
  bytes[Math.floor(bytes.length / 2)]! ^= 0xff
  writeFileSync(file, bytes)
}

async function healthz(relay: TestRelay): Promise<{ status: number; body: { ok: boolean; warnings?: string[] } }> {
  const res = await fetch(`${relay.httpUrl}/healthz`)
  return { status: res.status, body: (await res.json()) as { ok: boolean; warnings?: string[] } }
}

describe("fault campaign: a damaged storage chunk", () => {
  it("of a document: the relay starts, names it, and serves the others; a peer holding it restores it", async () => {
    const first = await startTestRelay(teardown)
    const holderDir = makeTempDir(teardown, "vivarium-holder-")
    const holder = await connectTestPeer(teardown, first, { storageDir: holderDir })
    // Rooms: documents an operator may create (the gate refuses documents of no known kind).
    const room = (roomId: string): RoomDoc => ({ schemaVersion: SCHEMA_VERSION, kind: "room", roomId, messages: [] })
    const damaged = holder.repo.create<RoomDoc>(room("kept-by-the-holder"))
    const intact = holder.repo.create<RoomDoc>(room("intact"))
    const ids = Array.from({ length: 5 }, (_, i) => holder.workspace.addTask({ command: `echo ${i}` }, operatorOf(holder)).id)
    await holder.flushToRelay()
    await holder.close()
    await first.close()
    for (const file of chunkFiles(first.dataDir, damaged.url)) flipByte(file)

    const relay = await startTestRelay(teardown, { dataDir: first.dataDir })
    const reader = await connectTestPeer(teardown, relay)
    expect((await reader.repo.find<RoomDoc>(intact.url)).doc().roomId).toBe("intact")
    expect(ids.every(id => reader.workspace.tasks.get(id))).toBe(true)
    await expect(reader.repo.find(damaged.url)).rejects.toThrow(/unavailable/)

    const named = new RegExp(`^document ${damaged.documentId}: damaged storage chunk .*checksum mismatch.*moved to`)
    expect(relay.logs).toContainEqual(expect.stringMatching(named))
    expect(await healthz(relay)).toMatchObject({ status: 200, body: { ok: true, warnings: [expect.stringMatching(named)] } })
    expect(await (await fetch(`${relay.httpUrl}/metrics`)).text()).toMatch(/^vivarium_storage_damaged_chunks 1$/m)

    // The peer that kept its copy reconnects and the relay has the document again.
    const back = await connectTestPeer(teardown, relay, { storageDir: holderDir, identity: holder.identity })
    await back.repo.find(damaged.url)
    await back.flushToRelay()
    const later = await connectTestPeer(teardown, relay)
    expect((await later.repo.find<RoomDoc>(damaged.url)).doc().roomId).toBe("kept-by-the-holder")
  })

  it("of the queue: the relay starts with the tasks of its other chunks and names the queue", async () => {
    const first = await startTestRelay(teardown)
    const writer = await connectTestPeer(teardown, first)
    const early = Array.from({ length: 20 }, (_, i) => writer.workspace.addTask({ command: `echo ${i}` }, operatorOf(writer)).id)
    await writer.flushToRelay()
    await writer.close()
    await first.close()
    // One more change, stored as its own incremental chunk, as the relay does between compactions.
    const queueUrl = first.workspace.root.docs.queue
    const files = chunkFiles(first.dataDir, queueUrl)
    const doc = A.loadIncremental(A.init<QueueDoc>(), Buffer.concat(files.map(f => readFileSync(f))))
    const late = { ...JSON.parse(JSON.stringify(doc.tasks[early[0]!])), id: "task-late" } as QueueDoc["tasks"][string]
    const changed = A.change(doc, d => {
      d.tasks[late.id] = late
    })
    const chunk = A.saveSince(changed, A.getHeads(doc))
    const lateFile = join(dirname(dirname(files[0]!)), "incremental", createHash("sha256").update(chunk).digest("hex"))
    mkdirSync(dirname(lateFile), { recursive: true })
    writeFileSync(lateFile, chunk.subarray(0, chunk.length - 7))

    const relay = await startTestRelay(teardown, { dataDir: first.dataDir })
    expect(early.every(id => relay.workspace.tasks.get(id))).toBe(true)
    expect(relay.workspace.tasks.get(late.id)).toBeUndefined()
    const reader = await connectTestPeer(teardown, relay)
    await waitFor(() => early.every(id => reader.workspace.tasks.get(id)), { events: [[reader.workspace.tasks, "change"]] })
    const named = new RegExp(`^document ${interpretAsDocumentId(queueUrl as AutomergeUrl)}: damaged storage chunk ${lateFile} \\(truncated`)
    expect((await healthz(relay)).body.warnings).toEqual([expect.stringMatching(named)])
    expect(relay.logs).toContainEqual(expect.stringMatching(named))
  })

  it("of a document the relay opens at start, left unreadable: the start fails naming it and what to do", async () => {
    const first = await startTestRelay(teardown)
    await first.close()
    const identities = first.workspace.root.docs.identities
    for (const file of chunkFiles(first.dataDir, identities)) flipByte(file)
    await expect(startTestRelay(teardown, { dataDir: first.dataDir })).rejects.toThrow(
      new RegExp(`Damaged storage found: document ${interpretAsDocumentId(identities as AutomergeUrl)}: .*restore the data directory from a backup, or copy`),
    )
  })

  it("of the root: the start fails naming the file and what to do, and leaves the file in place", async () => {
    const first = await startTestRelay(teardown)
    await first.close()
    const [file] = chunkFiles(first.dataDir, first.rootUrl)
    truncateSync(file!, 10)
    const start = startTestRelay(teardown, { dataDir: first.dataDir })
    await expect(start).rejects.toThrow(DamagedStorageError)
    await expect(start).rejects.toThrow(new RegExp(`document ${interpretAsDocumentId(first.rootUrl)} is damaged on disk: ${file}.*Restore the data directory from a backup`))
    expect(existsSync(file!)).toBe(true)
  })
})
