/**
 * A lived-in workspace for looking at the control panel: tasks in every status (long titles,
 * long unbroken URLs and hashes, long results), residents with long names, a quest, a room
 * with messages, mail, bounties with a submission, wallet grants (the quest's upfront tip, the mail's), audit entries and a peer
 * waiting for approval. Written through a real relay: operator actions from a Node operator
 * peer (through the change gate, signed and audited) and, for what a worker does, the
 * worker's transitions written into the relay's own replica (as in refusedChange.test.ts).
 */
import type { Task, TaskStatus } from "../../schemas/index.ts"
import { SYSTEM } from "../../peer-server/scheduler.ts"
import { postBounty, submitToBounty } from "../../src/domain/bounties/index.ts"
import { sendMail } from "../../src/domain/mailbox/index.ts"
import { assignQuest } from "../../src/domain/quests/index.ts"
import { propose } from "../../src/domain/proposals/index.ts"
import { forgeIdentity } from "../../src/domain/residents/index.ts"
import { postMessage } from "../../src/domain/rooms/index.ts"
import { addTask, applyTransition, decideTask } from "../../src/domain/tasks/index.ts"
import { connectTestPeer } from "./peers.ts"
import { approvedIdentity, enrol, freshIdentity, type TestRelay } from "./relay.ts"
import { peerOperator } from "./socialFixture.ts"
import type { Teardown } from "./teardown.ts"
import { waitFor } from "./waitFor.ts"

export interface PanelFixture {
  /** One task id per status. */
  tasks: Record<TaskStatus, string>
  questId: string
  residents: { long: string; short: string }
  bounties: string[]
  /** The peer that waits for the owner's approval. */
  pendingPeer: string
  /** A high-risk proposal to a hat's prompt, waiting for approval, with long words. */
  proposal: string
}

/** Long enough to overflow any phone: an address and a hash without a break opportunity. */
const LONG_URL = "http://127.0.0.1:7777/reports/greenhouse/north-wing/humidity-sensors/2025-11-24T10:15:00Z/export.csv?columns=all&format=wide"
const LONG_HASH = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a089f86d081884c7d659a2feaa0c55ad015"

const RESULT = [
  "Humidity report for the north wing, last 24 h:",
  "",
  "sensor   min    max    mean   alarms",
  "n-01     61.2   78.9   70.4   0",
  "n-02     58.7   91.3   74.8   2  (above 90 % at 03:10 and 03:40, vent stuck half open)",
  "n-03     60.1   77.0   69.9   0",
  "",
  `Raw export: ${LONG_URL}`,
  `Checksum: ${LONG_HASH}`,
].join("\n")

/**
 * What a worker writes while it runs a task under a lease the relay granted: claimed → running
 * → `to`, starting at `at` (now by default); `extra` adds what the run wrote besides (its calls).
 */
export function simulateRun(relay: TestRelay, id: string, worker: string, to: "claimed" | "running" | "pending_review", opts: { at?: number; extra?: (t: Task) => void } = {}): void {
  const now = opts.at ?? Date.now()
  const leaseId = `${id}.lease1`
  const by = { kind: "worker" as const, name: worker }
  relay.workspace.queueHandle.change(d => {
    const t = d.tasks[id] as Task
    applyTransition(t, "claimed", SYSTEM, now, `lease granted to ${worker}`, leaseId)
    t.lease = { leaseId, holder: worker, grantedAt: now, expiresAt: now + 600_000, renewals: 0 }
    if (to === "claimed") return
    applyTransition(t, "running", by, now + 1, undefined, leaseId)
    t.executions.push({ leaseId, worker, startedAt: now + 1 })
    if (to === "running") return
    t.executions[0]!.finishedAt = now + 4_200
    t.executions[0]!.outcome = "ok"
    t.result = { output: RESULT, exitCode: 0, model: "local", costUsd: 0, leaseId, worker, startedAt: now + 1, finishedAt: now + 4_200 }
    t.review = { verdict: "minor_issues", confidence: 0.62, issues: ["n-02 alarms are reported but not explained", `the export link ${LONG_URL} needs a login`], needsHuman: true, reviewer: worker, at: now + 4_300 }
    applyTransition(t, "pending_review", by, now + 4_300, "the critic asks a human", leaseId)
    delete t.lease
    opts.extra?.(t)
  })
}

/** Seeds `relay` (start it with a long `leaseMs`, so simulated runs do not expire) and returns what it made. */
export async function seedPanelFixture(teardown: Teardown, relay: TestRelay): Promise<PanelFixture> {
  // An operator as the panel shows one: under the display name bound to its key.
  const node = await connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "operator", undefined, { displayName: "Dorothy Vaughan" }) })
  const ctx = await peerOperator(node)
  const worker = (await approvedIdentity(relay, "worker", "greenhouse-pi-north-wing-01")).name
  const pending = await freshIdentity("worker", "basement-raspberry-pi-waiting-for-approval")
  await enrol(relay, pending)

  const long = await forgeIdentity(ctx, {
    name: "Bartholomew Quillfeather-Montgomery of the Underground Rivers",
    statement: "I map the rivers under the greenhouse and name every spring I find.",
    traits: ["patient", "meticulous"],
    values: ["care", "accuracy"],
  })
  const short = await forgeIdentity(ctx, { name: "Mira Vale", statement: "I listen to the bees.", traits: ["curious"], values: ["kindness"] })

  // Every task is aimed at a resident no worker plays, so the relay leases none of them: what
  // a worker does is simulated below, and the queued and requeued ones stay as they are.
  const command = (title: string, cmd: string) => addTask(ctx, { mode: "local", title, command: cmd, targetIdentity: short.id })
  const queued = await command(`Export the humidity readings of every sensor in the north wing to ${LONG_URL}`, `cat data/humidity/north-wing/${"n-0".repeat(12)}.csv`)
  const claimed = await command("Count the seedlings in tray 14", "ls data/trays/14")
  const running = await command("Rotate the greenhouse camera snapshots older than thirty days into the cold archive", "ls data/camera")
  const review = await command("Summarise the humidity alarms of the north wing for the weekly report to the gardeners", "cat data/humidity/alarms.log")
  const approved = await command("Check the checksum of last night's backup", `cat backups/${LONG_HASH}.tar`)
  const requeued = await command("List the vents that did not close at dusk", "cat data/vents/dusk.log")
  const failed = await command("Read the rain gauge", "cat data/rain/gauge.txt")
  const cancelled = await command("Water tray 9 twice", "echo water tray 9")
  // An LLM task with no worker holding an LLM key: the relay blocks it (no_key).
  const blocked = await addTask(ctx, { mode: "llm", title: "Write a short poem about moss for the newsletter", prompt: "Write a short poem about moss." })
  await node.flushToRelay()

  for (const t of [review, approved, requeued, failed]) simulateRun(relay, t.id, worker, "pending_review")
  simulateRun(relay, claimed.id, worker, "claimed")
  simulateRun(relay, running.id, worker, "running")
  await waitFor(() => [review, approved, requeued, failed].every(t => node.workspace.tasks.get(t.id)?.status === "pending_review") && node.workspace.tasks.get(blocked.id)?.status === "blocked", {
    events: [[node.workspace.tasks, "change"]],
    timeoutMs: 15_000,
    message: "the simulated runs and the relay's block to reach the operator peer",
  })
  await decideTask(ctx, approved.id, "approve", { tip: 5, feedback: "Thank you, the checksum matches the one in the log." })
  await decideTask(ctx, requeued.id, "requeue", { reason: "the dusk log was still being written; run it again after 20:00" })
  await decideTask(ctx, failed.id, "fail", { reason: "the rain gauge is offline since the storm" })
  await decideTask(ctx, cancelled.id, "cancel", { reason: "tray 9 was watered by hand" })

  const { quest } = await assignQuest(ctx, {
    title: "Map every spring under the north wing and mark the ones that flood",
    objective: `Walk the tunnels under the north wing, list every spring with its position, and mark the ones that flood after rain. Sensor data: ${LONG_URL}`,
    identity: long.id,
  })
  await postMessage(ctx, "town_hall", { content: "Morning all — the north wing vents are stuck half open again, please check before noon." })
  await postMessage(ctx, "town_hall", { content: `The raw humidity export is here: ${LONG_URL} (checksum ${LONG_HASH})` })
  await sendMail(ctx, { resident: short.id, content: "Could you look at the bees near tray 14 this afternoon?" })
  const first = await postBounty(ctx, { title: `Photograph every seedling tray and upload the pictures to ${LONG_URL}`, description: "One picture per tray, labelled.", reward: 60, slots: 2 })
  const second = await postBounty(ctx, { title: "Name the new fern", description: "", reward: 10 })
  await submitToBounty(node.workspace, second.id, { identity: short.id, content: "Fernanda, after the gardener who planted it." })
  const proposal = await propose(ctx, {
    target: { kind: "hat", id: "builder", field: "prompt" },
    after: `Build in small steps; test each one against the sensor export (${LONG_URL}) and quote its checksum ${LONG_HASH} in the result.`,
    reason: "the last three builds broke the humidity report; smaller steps with a test each would have caught it",
    risk: "high",
  })
  await node.flushToRelay()

  return {
    tasks: {
      queued: queued.id,
      claimed: claimed.id,
      running: running.id,
      pending_review: review.id,
      approved: approved.id,
      requeued: requeued.id,
      failed: failed.id,
      cancelled: cancelled.id,
      blocked: blocked.id,
    },
    questId: quest.id,
    residents: { long: long.id, short: short.id },
    bounties: [first.id, second.id],
    pendingPeer: pending.name,
    proposal: proposal.id,
  }
}
