/**
 * Issue acceptance for the relay: real WebSockets on 127.0.0.1 between Node peers and a
 * relay (in-process, or a child process where crashes matter).
 */
import { randomBytes } from "node:crypto"
import { cpSync, readFileSync } from "node:fs"
import type { Socket } from "node:net"
import { join } from "node:path"
import { ImmutableString, splice } from "@automerge/automerge"
import { Repo, type AutomergeUrl, type DocHandle } from "@automerge/automerge-repo"
import type { RelayClientAdapter } from "../../src/peer/relayClientAdapter.ts"
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs"
import { describe, expect, it } from "vitest"
import { QuestDoc, type QuestIndexDoc, type Task } from "../../schemas/index.ts"
import { applyTransition } from "../../src/domain/tasks/taskMachine.ts"
import type { NodePeer } from "../../src/peer/nodePeer.ts"
import { whenPeerHas } from "../../src/workspace/sync.ts"
import { Workspace } from "../../src/workspace/workspace.ts"
import { connectTestPeer, connectTestPeers, operatorOf } from "../helpers/peers.ts"
import { startTestRelay } from "../helpers/relay.ts"
import { rawUpgrade, tryUpgrade } from "../helpers/rawSocket.ts"
import { spawnRelay } from "../helpers/relayProcess.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()

/** Waits until `peer` sees a task with this id (and returns it). */
function waitForTask(peer: NodePeer, id: string, check: (t: Task) => boolean = () => true): Promise<Task> {
  return waitFor(
    () => {
      const task = peer.workspace.tasks.get(id)
      return task && check(task) ? task : false
    },
    { events: [[peer.workspace.tasks, "change"]], message: `task ${id} on a peer` },
  )
}

describe("relay: replication between Node peers", () => {
  it("a task added on one of three peers shows on the other two (and on the relay)", async () => {
    const relay = await startTestRelay(teardown)
    const [a, b, c] = await connectTestPeers(teardown, relay, 3)

    const task = a!.workspace.addTask({ command: "echo hi", title: "greet" }, operatorOf(a!))
    for (const peer of [b!, c!]) expect(await waitForTask(peer, task.id)).toEqual(task)
    await waitFor(() => expect(relay.workspace.tasks.get(task.id)).toEqual(task), { events: [[relay.workspace.tasks, "change"]] })

    // Edits travel the other way too: b cancels it, a and c see the move and its history.
    b!.workspace.updateTask(task.id, draft => applyTransition(draft, "cancelled", operatorOf(b!), Date.now(), "not needed"))
    for (const peer of [a!, c!]) {
      const seen = await waitForTask(peer, task.id, t => t.status === "cancelled")
      expect(seen.history).toMatchObject([{ from: "queued", to: "cancelled", by: operatorOf(b!), reason: "not needed" }])
    }
    expect(c!.workspace.countByStatus()).toMatchObject({ queued: 0, cancelled: 1 })
  })

  it("offline then merge: concurrent edits of one quest converge on all three peers, both text edits kept", async () => {
    const relay = await startTestRelay(teardown)
    const [a, b, c] = await connectTestPeers(teardown, relay, 3)
    const now = Date.now()

    // A creates the quest and registers it in the quests index named by the root document.
    const quest = a!.repo.create<QuestDoc>({
      schemaVersion: 1,
      kind: "quest",
      id: "quest-frogs",
      title: "Map the garden",
      objective: "Find the frogs.",
      budgetUsd: 1,
      upfrontTip: 0,
      completionReward: 10,
      state: "active",
      createdBy: a!.identity.name,
      createdAt: now,
      updatedAt: now,
    })
    const indexUrl = a!.workspace.root.docs.quests as AutomergeUrl
    const indexA = await a!.repo.find<QuestIndexDoc>(indexUrl)
    indexA.change(d => {
      d.quests["quest-frogs"] = { id: "quest-frogs", title: "Map the garden", url: quest.url, createdAt: now }
    })
    const relayId = a!.relayPeerId()!
    await Promise.all([whenPeerHas(a!.repo, quest, relayId, 5_000), whenPeerHas(a!.repo, indexA, relayId, 5_000)])

    // B and C find the quest through the index.
    const openQuest = async (peer: NodePeer) => {
      const index = await peer.repo.find<QuestIndexDoc>(peer.workspace.root.docs.quests as AutomergeUrl)
      const entry = await waitFor(() => index.doc().quests["quest-frogs"] ?? false, { events: [[index, "change"]] })
      return peer.repo.find<QuestDoc>(entry.url as AutomergeUrl)
    }
    const questB = await openQuest(b!)
    const questC = await openQuest(c!)
    expect(questB.doc().objective).toBe("Find the frogs.")

    // B goes offline (and the relay has noticed); A and B edit the same quest concurrently.
    b!.repo.networkSubsystem.disconnect()
    expect(b!.repo.peers).toEqual([])
    await waitFor(() => !relay.repo.peers.includes(b!.repo.peerId), { events: [[relay.repo.networkSubsystem, "peer-disconnected"]] })
    quest.change(d => {
      splice(d, ["objective"], 0, 0, "Spring: ")
      d.budgetUsd = 2.5
    })
    questB.change(d => {
      splice(d, ["objective"], "Find the frogs".length, 0, " and the newts")
      d.title = "Map the pond"
    })
    // C gets A's edit but not B's: B really is offline.
    await waitFor(() => expect(questC.doc().objective).toBe("Spring: Find the frogs."), { events: [[questC, "change"]] })
    expect(questC.doc().title).toBe("Map the garden")
    expect(questB.doc()).toMatchObject({ objective: "Find the frogs and the newts.", title: "Map the pond", budgetUsd: 1 })

    // B comes back: everyone converges on the same document and the same heads.
    b!.repo.networkSubsystem.reconnect()
    const handles: DocHandle<QuestDoc>[] = [quest, questB, questC]
    await waitFor(
      () => {
        const heads = handles.map(h => h.heads().slice().sort().join(","))
        expect(new Set(heads).size).toBe(1)
        for (const h of handles) expect(h.doc()).toEqual(quest.doc())
      },
      { events: handles.map(h => [h, "change"] as const), timeoutMs: 10_000, message: "quest to converge" },
    )
    const merged = quest.doc()
    expect(merged.objective).toBe("Spring: Find the frogs and the newts.")
    expect(merged).toMatchObject({ title: "Map the pond", budgetUsd: 2.5, state: "active" })
    expect(QuestDoc.parse(merged)).toEqual(merged)
  })

})

describe("relay: crash safety", () => {
  it("changes the relay sent into a connection that silently dropped reach the peer once it reconnects", async () => {
    // A network drop the relay has not noticed yet (Wi-Fi gone, laptop asleep): whatever
    // it sends B meanwhile is lost. B then reconnects with the same peer id.
    const relay = await startTestRelay(teardown)
    const [a, b, c] = await connectTestPeers(teardown, relay, 3)
    // A quest document: peers may create it (the relay refuses documents of unknown kinds).
    const now = Date.now()
    const doc = a!.repo.create<QuestDoc>({ schemaVersion: 1, kind: "quest", id: "q-drop", title: "Drop", objective: "", budgetUsd: 0, upfrontTip: 0, completionReward: 0, state: "active", createdBy: a!.identity.name, createdAt: now, updatedAt: now })
    await whenPeerHas(a!.repo, doc, a!.relayPeerId()!, 5_000)
    const docB = await b!.repo.find<QuestDoc>(doc.url)
    const docC = await c!.repo.find<QuestDoc>(doc.url)

    const adapter = b!.repo.networkSubsystem.adapters[0] as RelayClientAdapter
    const tcp = (adapter.socket as unknown as { _socket?: Socket })._socket
    if (!tcp) throw new Error("ws internals changed: no _socket on the client WebSocket")
    tcp.pause() // B stops reading: the relay's next messages to B go nowhere
    doc.change(d => {
      d.budgetUsd = 1
    })
    // C got the change, so the relay has sent it to B too.
    await waitFor(() => docC.doc().budgetUsd === 1, { events: [[docC, "change"]] })
    b!.repo.networkSubsystem.disconnect()
    docB.change(d => {
      splice(d, ["objective"], 0, 0, "b was offline")
    })
    b!.repo.networkSubsystem.reconnect()

    await waitFor(() => expect(docB.doc()).toMatchObject({ budgetUsd: 1, objective: "b was offline" }), {
      events: [[docB, "change"]],
      timeoutMs: 5_000,
      message: "B to get the change that was lost in flight",
    })
    await waitFor(() => expect(doc.doc()).toMatchObject({ budgetUsd: 1, objective: "b was offline" }), { events: [[doc, "change"]] })
  })

  it("SIGKILL and restart on the same data dir loses nothing a peer had synced", async () => {
    const dataDir = makeTempDir(teardown, "vivarium-crash-")
    const first = await spawnRelay(teardown, { dataDir })
    const pointer = readFileSync(join(dataDir, "workspace.json"), "utf8")
    const a = await connectTestPeer(teardown, first)

    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push(a.workspace.addTask({ command: `echo ${i}`, priority: i }, operatorOf(a), Date.now() + i).id)
    a.workspace.updateTask(ids[0]!, d => applyTransition(d, "cancelled", operatorOf(a), Date.now()))
    await a.flushToRelay()

    // The relay acknowledged our heads; now prove they are in its own files, by opening a
    // copy of its storage in a throwaway, network-less Repo.
    const { rootUrl } = JSON.parse(pointer) as { rootUrl: AutomergeUrl }
    let attempt = 0
    await waitFor(
      async () => {
        const copy = join(makeTempDir(teardown, "vivarium-crash-copy-"), `copy-${attempt++}`)
        cpSync(join(dataDir, "automerge"), copy, { recursive: true })
        const repo = new Repo({ storage: new NodeFSStorageAdapter(copy), network: [] })
        try {
          const ws = await Workspace.open(repo, rootUrl)
          try {
            expect([...ws.tasks.entries.keys()].sort()).toEqual([...ids].sort())
            expect(ws.tasks.get(ids[0]!)!.status).toBe("cancelled")
          } finally {
            ws.close()
          }
        } finally {
          await repo.shutdown().catch(() => {})
        }
      },
      { timeoutMs: 10_000, intervalMs: 50, message: "the relay's disk to hold every task" },
    )

    await a.close()
    first.child.kill("SIGKILL")
    expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" })

    const second = await spawnRelay(teardown, { dataDir })
    expect(second.token).toBe(first.token)
    expect(readFileSync(join(dataDir, "workspace.json"), "utf8")).toBe(pointer)
    expect(second.stderr()).not.toMatch(/created workspace/)
    const res = await fetch(`${second.httpUrl}/api/workspace`, { headers: { Authorization: `Bearer ${second.token}` } })
    expect(((await res.json()) as { rootUrl: string }).rootUrl).toBe(rootUrl)

    const fresh = await connectTestPeer(teardown, second)
    await waitFor(
      () => {
        expect([...fresh.workspace.tasks.entries.keys()].sort()).toEqual([...ids].sort())
        expect(fresh.workspace.tasks.get(ids[0]!)!.status).toBe("cancelled")
        expect(fresh.workspace.tasks.get(ids[4]!)).toMatchObject({ command: "echo 4", priority: 4, status: "queued" })
      },
      { events: [[fresh.workspace.tasks, "change"]] },
    )
    expect(fresh.workspace.issues).toEqual([])
  })
})

async function authFailures(httpUrl: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text()
  const m = /^vivarium_auth_failures_total (\d+)$/m.exec(text)
  if (!m) throw new Error(`no vivarium_auth_failures_total in /metrics:\n${text}`)
  return Number(m[1])
}

describe("relay: authentication", () => {
  it("refuses a missing or wrong secret on the WebSocket and /api/workspace, serves nothing, and counts it", async () => {
    const relay = await startTestRelay(teardown)
    const before = await authFailures(relay.httpUrl)
    expect(before).toBe(0)
    const wrong = "not-the-secret-" + "x".repeat(17)

    // WebSocket upgrades: no token, wrong ?token=, wrong bearer header.
    expect(await tryUpgrade(relay.wsUrl)).toEqual({ status: 401, messages: 0 })
    expect(await tryUpgrade(`${relay.wsUrl}/?token=${wrong}`)).toEqual({ status: 401, messages: 0 })
    expect(await tryUpgrade(relay.wsUrl, { headers: { Authorization: `Bearer ${wrong}` } })).toEqual({ status: 401, messages: 0 })
    // A raw client gets the bare 401 and the connection closes: not one byte of a document.
    const raw = await rawUpgrade(relay.port, `/?token=${wrong}`)
    expect(raw).toBe("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")

    // HTTP: no bearer, wrong bearer.
    const noAuth = await fetch(`${relay.httpUrl}/api/workspace`)
    expect(noAuth.status).toBe(401)
    const wrongAuth = await fetch(`${relay.httpUrl}/api/workspace`, { headers: { Authorization: `Bearer ${wrong}` } })
    expect(wrongAuth.status).toBe(401)
    for (const body of [await noAuth.text(), await wrongAuth.text()]) {
      expect(body).not.toContain(relay.rootUrl)
      expect(body).not.toContain("automerge:")
    }

    expect(await authFailures(relay.httpUrl)).toBe(before + 6)
    // The log says what was refused, never the secrets (right or wrong).
    expect(relay.logs.filter(l => l.startsWith("refused "))).toHaveLength(6)
    for (const line of relay.logs) {
      expect(line).not.toContain(relay.token)
      expect(line).not.toContain(wrong)
    }

    // The right secret works, on both.
    const ok = await fetch(`${relay.httpUrl}/api/workspace`, { headers: { Authorization: `Bearer ${relay.token}` } })
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ rootUrl: relay.rootUrl, name: "Vivarium" })
    await connectTestPeer(teardown, relay)
    expect(await authFailures(relay.httpUrl)).toBe(before + 6)
  })

  it("/healthz answers without a secret and reveals nothing secret", async () => {
    const relay = await startTestRelay(teardown)
    await connectTestPeer(teardown, relay)
    const res = await fetch(`${relay.httpUrl}/healthz`)
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toMatch(/^application\/json/)
    const text = await res.text()
    const health = JSON.parse(text) as Record<string, unknown>
    expect(health).toMatchObject({ ok: true, peers: 1, dataIssues: 0 })
    expect(health.uptimeSeconds).toEqual(expect.any(Number))
    expect(health.uptimeSeconds as number).toBeGreaterThanOrEqual(0)
    expect(health.documents as number).toBeGreaterThanOrEqual(2)
    expect(text).not.toContain(relay.token)
    expect(text).not.toContain(relay.rootUrl)
    const metrics = await (await fetch(`${relay.httpUrl}/metrics`)).text()
    expect(metrics).toMatch(/^vivarium_connected_peers 1$/m)
    expect(metrics).not.toContain(relay.token)
  })
})

describe("relay: schema-invalid data from a peer", () => {
  it("the relay refuses it with document and path; other peers never see it and keep working; the writer's reader reports it", async () => {
    const relay = await startTestRelay(teardown)
    const [a, b, c] = await connectTestPeers(teardown, relay, 3)
    const good1 = b!.workspace.addTask({ command: "echo one" }, operatorOf(b!))
    // Command tasks: the relay's scheduler blocks llm tasks while no worker with a key is online.
    const good2 = b!.workspace.addTask({ command: "echo two" }, operatorOf(b!), Date.now() + 1)
    for (const peer of [a!, c!]) await waitForTask(peer, good2.id)

    // A misbehaving peer writes straight into the queue, past Workspace.addTask.
    const hugePrompt = randomBytes(7.5 * 1024 * 1024).toString("base64") // 10 MB
    const base = { ...good1, history: [], executions: [] }
    const { command: _command, ...llmBase } = { ...base, mode: "llm" }
    a!.workspace.queueHandle.change(d => {
      d.tasks["task-prio"] = { ...base, id: "task-prio", priority: "high" } as unknown as Task
      d.tasks["task-boom"] = { ...base, id: "task-boom", status: "exploded" } as unknown as Task
      // A scalar (non-text) string: how a hostile peer would write 10 MB cheaply.
      d.tasks["task-huge"] = { ...llmBase, id: "task-huge", prompt: new ImmutableString(hugePrompt) } as unknown as Task
      // A collaborative-text prompt just over the 4,000-character limit.
      d.tasks["task-long"] = { ...llmBase, id: "task-long", prompt: "p".repeat(4_001) } as unknown as Task
    })

    // The relay refuses the change (validate before apply) and logs who, where and why.
    await waitFor(() => expect(relay.logs.some(l => l.startsWith("refused a change from") && l.includes(a!.workspace.queueHandle.documentId))).toBe(true), {
      timeoutMs: 15_000,
      intervalMs: 50,
      message: "the relay to refuse the invalid tasks",
    })
    // The writer's own reader still reports each problem with document and path.
    const queueLabel = `queue ${a!.workspace.queueHandle.url}`
    for (const path of ["tasks.task-prio.priority", "tasks.task-boom.status", "tasks.task-huge.prompt", "tasks.task-long.prompt"])
      expect(a!.workspace.issues).toContainEqual(expect.objectContaining({ doc: queueLabel, path }))

    // The valid tasks stay usable: C moves one, B sees it; B adds another, C and A see it.
    c!.workspace.updateTask(good1.id, d => applyTransition(d, "cancelled", operatorOf(c!), Date.now()))
    await waitForTask(b!, good1.id, t => t.status === "cancelled")
    const good3 = b!.workspace.addTask({ command: "echo three" }, operatorOf(b!))
    await waitForTask(c!, good3.id)
    await waitForTask(a!, good3.id)
    for (const peer of [b!, c!]) {
      // Nothing of the refused change reached them.
      expect(Object.keys(peer.workspace.queueHandle.doc().tasks).sort()).toEqual([good1.id, good2.id, good3.id].sort())
      expect(peer.workspace.issues).toEqual([])
    }
    expect(Object.keys(relay.workspace.queueHandle.doc().tasks)).not.toContain("task-huge")
    const health = (await (await fetch(`${relay.httpUrl}/healthz`)).json()) as { ok: boolean; dataIssues: number }
    expect(health).toMatchObject({ ok: true, dataIssues: 0 })
  })
})
