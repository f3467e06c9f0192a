/**
 * The collaboration request over a real relay, through the CLI: none at first; setting one
 * queues its suggestion task with the raised budget band; setting another replaces it; done
 * closes it and lists it with its duration; done with none active is refused with nothing
 * written; a worker's forged request is refused by the relay's gate.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import type { MailboxDoc } from "../../schemas/index.ts"
import { suggestionTaskId, type CollabRequests, type SetRequest } from "../../src/domain/collaboration/index.ts"
import { runMain } from "../helpers/cli.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { approvedIdentity, startTestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()

describe("the collaboration request", () => {
  it("is set, replaced and done from the CLI, each queueing or closing what it should", async () => {
    const relay = await startTestRelay(teardown)
    const cli = (...args: string[]) => runMain([...args, "--data", relay.dataDir])
    expect((await cli("request", "show")).stdout).toContain("no active collaboration request")
    const none = await cli("request", "done", "--json")
    expect(none.value).toBe(2)
    expect(JSON.parse(none.stdout)).toMatchObject({ error: { code: "no_collab_request", message: "There is no active collaboration request." } })

    const set = await cli("request", "set", "--text", "Map which trays flood after rain", "--json")
    expect(set.value, set.stdout + set.stderr).toBe(0)
    const first = JSON.parse(set.stdout) as SetRequest
    expect(first.task.id).toBe(suggestionTaskId(first.request.id))
    expect(first.task).toMatchObject({ mode: "llm", minBudgetUsd: 0.18, maxBudgetUsd: 0.4, status: "queued" })
    expect(first.task.prompt).toContain("Map which trays flood after rain")
    await waitFor(() => !!relay.workspace.tasks.get(first.task.id), { events: [[relay.workspace.tasks, "change"]], timeoutMs: 10_000, message: "the suggestion task at the relay" })

    const second = await cli("request", "set", "--text", "Find the leak above tray 14")
    expect(second.stdout).toContain(`it replaces ${first.request.id}`)
    const shown = JSON.parse((await cli("request", "show", "--json")).stdout) as CollabRequests
    expect(shown.active?.text).toBe("Find the leak above tray 14")
    expect(shown.finished.map(f => [f.id, f.outcome])).toEqual([[first.request.id, "replaced"]])

    expect((await cli("request", "done")).stdout).toMatch(/^collaboration request done after \d+ min$/m)
    const after = JSON.parse((await cli("request", "show", "--json")).stdout) as CollabRequests
    expect(after.active).toBeUndefined()
    expect(after.finished.map(f => f.outcome)).toEqual(["done", "replaced"])
    const mailbox = await relay.repo.find<MailboxDoc>(relay.workspace.root.docs.mailbox as AutomergeUrl)
    await waitFor(() => Object.values(mailbox.doc().requests ?? {}).filter(r => r.closed).length === 1, { events: [[mailbox, "change"]], timeoutMs: 10_000, message: "the second done at the relay" })
    // Replacing wrote nothing to the first: two operators replacing it offline cannot conflict.
    expect(mailbox.doc().requests?.[first.request.id]?.closed).toBeUndefined()
  }, 60_000)

  it("a worker cannot set one", async () => {
    const relay = await startTestRelay(teardown)
    const worker = await connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "worker", "w-request") })
    const mine = await worker.repo.find<MailboxDoc>(worker.workspace.root.docs.mailbox as AutomergeUrl)
    mine.change(d => {
      d.requests!["request-forged"] = { id: "request-forged", text: "work harder", by: "w-request", at: Date.now(), taskId: suggestionTaskId("request-forged") }
    })
    await waitFor(() => relay.logs.some(l => l.startsWith("refused a change from w-request") && l.includes("only operators set collaboration requests")), { intervalMs: 50, timeoutMs: 10_000, message: "the relay to refuse the worker's request" })
    const mailbox = await relay.repo.find<MailboxDoc>(relay.workspace.root.docs.mailbox as AutomergeUrl)
    expect(mailbox.doc().requests?.["request-forged"]).toBeUndefined()
  }, 30_000)
})
