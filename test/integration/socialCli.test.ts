/**
 * The social plane from the CLI against a real relay: residents, rooms, mail, quests,
 * bounties and wallets, each with its human output, its --json output and a bad input that
 * is one clear line and exit code 2 with nothing written. Most commands run in-process
 * (main()); one per group runs as the built CLI (`node bin/vivarium.js`).
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import { beforeAll, describe, expect, it } from "vitest"
import type { Bounty, IdentitiesDoc, MailMessage, Message, QuestDoc, RootDoc, Submission } from "../../schemas/index.ts"
import { readFencedBounties } from "../../src/domain/bounties/index.ts"
import { residentMessage } from "../../src/domain/mailbox/index.ts"
import { questRef } from "../../src/domain/quests/index.ts"
import { residents } from "../../src/domain/residents/index.ts"
import { roomMessages } from "../../src/domain/rooms/index.ts"
import type { Captured } from "../helpers/captureConsole.ts"
import { runCli, runMain } from "../helpers/cli.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { approvedIdentity, runToReviewAsRelay, startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown("all")
// Each test runs several commands, each a short-lived peer; two cores are shared.
const SLOW = 90_000

let relay: TestRelay
let env: Record<string, string>

beforeAll(async () => {
  relay = await startTestRelay(teardown, { schedulerTickMs: 50 })
  env = { VIVARIUM_RELAY: relay.wsUrl, VIVARIUM_TOKEN: relay.token }
})

/** A command that succeeds: its stdout, nothing on stderr. */
async function ok(argv: string[]): Promise<string> {
  const r = await runMain([...argv, "--data", relay.dataDir], env)
  expect(r, `${argv.join(" ")}\n${r.stderr}`).toMatchObject({ value: 0, stderr: "" })
  return r.stdout
}

/** A command that succeeds with --json: the parsed value. */
async function json<T>(argv: string[]): Promise<T> {
  return JSON.parse(await ok([...argv, "--json"])) as T
}

/** A command refused as a usage error: exit code 2, one line on stderr matching `pattern`, nothing on stdout. */
async function refused(argv: string[], pattern: RegExp): Promise<Captured<number>> {
  const r = await runMain([...argv, "--data", relay.dataDir], env)
  const context = JSON.stringify(r)
  expect(r.value, context).toBe(2)
  expect(r.stdout, context).toBe("")
  expect(r.stderr.trim().split("\n"), context).toEqual([expect.stringMatching(pattern)])
  return r
}

/** The same command as the built CLI in a child process: proves the group's chunk loads and runs. */
async function built(argv: string[]): Promise<string> {
  const r = await runCli([...argv, "--data", relay.dataDir], { env })
  expect(r, `${argv.join(" ")}\n${r.stderr}`).toMatchObject({ code: 0, stderr: "" })
  return r.stdout
}

async function residentIds(): Promise<string[]> {
  return [...(await residents(relay.workspace)).keys()].sort()
}

describe("vivarium resident", () => {
  it("forges, lists and shows residents; a refused name or a bad flag writes nothing", { timeout: SLOW }, async () => {
    expect(await built(["resident", "forge", "--name", "Ada Lovelace", "--summary", "Maps caves", "--traits", "curious, patient,curious", "--seed", "ab-1234-cd"])).toBe(
      "forged Ada Lovelace (ada-lovelace), creativity seed AB-1234-CD\n",
    )
    const mira = await json<{ id: string; name: string; core: { values: string[] } }>(["resident", "forge", "--name", "Mira Stone", "--values", "craft"])
    expect(mira).toMatchObject({ id: "mira-stone", name: "Mira Stone", core: { values: ["craft"] } })
    await waitFor(async () => (await residentIds()).length === 2, { message: "the relay to hold both residents" })

    await refused(["resident", "forge", "--name", "Agent Smith"], /^vivarium: The name "Agent Smith" contains "agent", and a resident's name must not name a role\. /)
    await refused(["resident", "forge", "--name", "Tobin", "--traits", "a,b,c,d,e,f,g,h,i,j,k"], /^vivarium: resident forge: --traits: at most 10 traits$/)
    await refused(["resident", "forge", "--name", "Tobin", "--seed", "seed"], /^vivarium: resident forge: --seed: a creativity seed looks like AB-1234-CD/)
    await refused(["resident", "forge", "--summary", "no name"], /^vivarium: resident forge: --name NAME is required/)
    expect(await residentIds()).toEqual(["ada-lovelace", "mira-stone"])

    const table = await ok(["resident", "list"])
    expect(table).toMatch(/^ID\s+NAME\s+LEVEL\s+DONE\s+FAILED\s+SUMMARY$/m)
    expect(table).toMatch(/^ada-lovelace\s+Ada Lovelace\s+1\s+0\s+0\s+Maps caves$/m)
    expect((await json<{ id: string }[]>(["resident", "list"])).map(r => r.id)).toEqual(["ada-lovelace", "mira-stone"])

    const shown = await ok(["resident", "show", "ada-lovelace"])
    expect(shown).toMatch(/^Ada Lovelace {2}\(ada-lovelace\)$/m)
    expect(shown).toMatch(/^traits: {5}curious, patient$/m)
    expect(shown).toMatch(new RegExp(`^forged: .* by Owner$`, "m"))
    expect(await json(["resident", "show", "ada-lovelace"])).toMatchObject({ id: "ada-lovelace", summary: "Maps caves", seed: "AB-1234-CD" })
    await refused(["resident", "show", "nobody"], /^vivarium: There is no resident nobody\. /)
    await refused(["resident", "show", "bad id!"], /^vivarium: resident show: 'bad id!' is not a resident id$/)
  })
})

describe("vivarium room", () => {
  it("lists rooms, posts to a room and a DM, reads them with names; bad input is refused", { timeout: SLOW }, async () => {
    expect(await built(["room", "list"])).toMatch(/^town_hall\s+#town_hall$/m)
    expect(await json<{ id: string; kind: string }[]>(["room", "list"])).toContainEqual(expect.objectContaining({ id: "human_async", kind: "room" }))

    expect(await ok(["room", "post", "town_hall", "--content", "The east cave is flooded", "--importance", "8"])).toBe("posted to #town_hall\n")
    const posted = await json<Message>(["room", "post", "town_hall", "--content", "Noted", "--reply-to", (await roomMessages(relay.workspace, "town_hall").then(m => m.at(-1)))?.id ?? "none"])
    expect(posted).toMatchObject({ author: "owner", content: "Noted", importance: 5 })
    expect(await ok(["room", "post", "--dm", "ada-lovelace", "--content", "How is the map going?"])).toBe(`posted to DM Owner ↔ Ada Lovelace\n`)
    expect(await ok(["room", "list"])).toMatch(new RegExp(`^dm-\\S+\\s+DM Owner ↔ Ada Lovelace$`, "m"))

    const read = await ok(["room", "read", "town_hall"])
    expect(read).toMatch(/^#town_hall: 2 messages$/m)
    expect(read).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d  Owner \\(importance 8\\): The east cave is flooded$`, "m"))
    expect(read).toMatch(new RegExp(`  Owner ↪ Owner: Noted$`, "m"))
    expect((await json<Message[]>(["room", "read", "town_hall", "--limit", "1"])).map(m => m.content)).toEqual(["Noted"])

    await refused(["room", "post", "town_hall", "--content", "loud", "--importance", "11"], /^vivarium: room post: --importance: importance is a whole number from 0 to 10$/)
    await refused(["room", "post", "town_hall", "--content", "   "], /^vivarium: room post: --content: the message is empty$/)
    await refused(["room", "post", "nowhere", "--content", "hello"], /^vivarium: There is no room nowhere\. /)
    await refused(["room", "post", "town_hall", "--dm", "ada-lovelace", "--content", "both"], /^vivarium: room post: name a ROOM_ID or give --dm RESIDENT/)
    await refused(["room", "read", "town_hall", "--limit", "0"], /^vivarium: room read: --limit: limit must be a whole number/)
    expect((await roomMessages(relay.workspace, "town_hall")).map(m => m.content)).toEqual(["The east cave is flooded", "Noted"])
  })
})

describe("vivarium mail", () => {
  it("sends, lists and replies to mail in names; bad input is refused", { timeout: SLOW }, async () => {
    expect(await built(["mail", "send", "--to", "ada-lovelace", "--content", "Please map the east cave"])).toMatch(/^sent to Ada Lovelace \(\+8 tokens; task task-\S+ asks them to act on it\)$/m)
    expect(await json(["mail", "send", "--content", "Hello, everyone"])).toMatchObject({ message: { direction: "from_human", type: "message", content: "Hello, everyone", by: "owner" } })
    await refused(["mail", "send", "--to", "nobody", "--content", "hi"], /^vivarium: There is no resident nobody\. /)
    await refused(["mail", "send", "--to", "ada-lovelace", "--content", ""], /^vivarium: mail send: --content: the message is empty$/)

    // A worker plays Ada and writes to the humans, as a worker does for the resident it plays.
    const worker = await connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "worker") })
    const name = worker.identity.name
    worker.workspace.rootHandle.change((d: RootDoc) => Object.assign(d.peers[name]!, { identities: ["ada-lovelace"], lastSeen: Date.now() }))
    const identities = await worker.repo.find<IdentitiesDoc>(worker.workspace.root.docs.identities as AutomergeUrl)
    await waitFor(() => identities.doc().leases?.["ada-lovelace"]?.holder === name, { events: [[identities, "change"]], timeoutMs: 10_000, message: "the worker to play Ada" })
    const question = await residentMessage(worker.workspace, { resident: "ada-lovelace", type: "question", content: "Shall I map the west cave too?" }, { actor: { kind: "worker", name }, key: worker.identity.key })
    await worker.flushToRelay()

    const unread = await ok(["mail", "list", "--unread"])
    expect(unread).toBe(`${unread.slice(0, 16)}  UNREAD Ada Lovelace → humans (question): Shall I map the west cave too?\n    ${question.id}\n`)
    const all = await json<(MailMessage & { unread: boolean })[]>(["mail", "list"])
    expect(all.map(m => [m.content, m.unread])).toEqual([
      ["Please map the east cave", false],
      ["Hello, everyone", false],
      ["Shall I map the west cave too?", true],
    ])
    expect(await ok(["mail", "list"])).toMatch(new RegExp(`  Owner → all residents \\(message\\): Hello, everyone$`, "m"))

    expect(await ok(["mail", "reply", question.id, "--content", "Yes, the west cave too"])).toMatch(/^reply sent to Ada Lovelace \(\+12 tokens; follow-up task task-\S+\)$/m)
    expect(await ok(["mail", "list", "--unread"])).toBe("no unread mail\n")
    const mine = all.find(m => m.content === "Hello, everyone")!
    await refused(["mail", "reply", mine.id, "--content", "hm"], /^vivarium: Message \S+ was not written by a resident\. Reply to a message a resident wrote\.$/)
    await refused(["mail", "reply", question.id], /^vivarium: mail reply: --content TEXT is required$/)
    expect(await json(["mail", "reply", question.id, "--content", "One more thing: take notes"])).toMatchObject({ message: { type: "reply", replyTo: question.id }, granted: 12 })
  })
})

describe("vivarium quest", () => {
  it("assigns, pauses, resumes and approves a quest, paying once; bad input is refused", { timeout: SLOW }, async () => {
    const assigned = await built(["quest", "assign", "--resident", "mira-stone", "--title", "Map the cave", "--objective", "Every tunnel on one page", "--budget", "0.3"])
    const [head, task, tip] = assigned.trim().split("\n")
    expect(head).toMatch(/^quest “Map the cave” assigned to Mira Stone \(quest-\S+\)$/)
    expect(task).toMatch(/^its task task-\S+ is queued for Mira Stone; budget \$0\.3$/)
    expect(tip).toBe("upfront tip of 10 tokens paid; 30 more on approval")
    await refused(["quest", "assign", "--resident", "mira-stone", "--title", "No objective"], /^vivarium: quest assign: --objective is required$/)
    await refused(["quest", "assign", "--resident", "mira-stone", "--title", "T", "--objective", "O", "--budget", "lots"], /^vivarium: quest assign: --budget: a quest budget is a USD amount/)
    await refused(["quest", "assign", "--resident", "nobody", "--title", "T", "--objective", "O"], /^vivarium: There is no resident nobody\. /)

    const [quest] = await json<QuestDoc[]>(["quest", "list"])
    expect(quest).toMatchObject({ title: "Map the cave", identity: "mira-stone", state: "active", budgetUsd: 0.3 })
    expect(await ok(["quest", "list"])).toMatch(new RegExp(`^${quest!.id}\\s+active\\s+Mira Stone\\s+Map the cave$`, "m"))

    expect(await ok(["quest", "pause", quest!.id])).toBe(`quest “Map the cave” paused; its open task ${quest!.taskId} was withdrawn\n`)
    await refused(["quest", "pause", quest!.id], /^vivarium: Quest \S+ is paused, so it cannot become paused\./)
    const resumed = await json<{ quest: string; state: string; taskId: string; fresh: boolean }>(["quest", "resume", quest!.id])
    expect(resumed).toMatchObject({ quest: quest!.id, state: "active", fresh: true })
    await refused(["quest", "approve", quest!.id], /^vivarium: Quest \S+ is active; a quest is approved once its task was approved\./)

    await runToReviewAsRelay(relay, resumed.taskId)
    await ok(["task", "approve", resumed.taskId])
    const { handle } = await questRef(relay.workspace, quest!.id)
    await waitFor(() => handle.doc().state === "awaiting_approval", { events: [[handle, "change"]], message: "the quest to await approval" })

    expect(await ok(["quest", "approve", quest!.id])).toBe("quest “Map the cave” approved; 30 tokens paid to Mira Stone\n")
    expect(await json(["quest", "approve", quest!.id])).toEqual({ quest: quest!.id, state: "completed", paid: false, reason: "already paid" })
  })
})

describe("vivarium bounty", () => {
  it("posts, takes submissions, lists them in names and completes with payouts; bad input is refused", { timeout: SLOW }, async () => {
    expect(await built(["bounty", "post", "--title", "Best cave map", "--reward", "50", "--slots", "2", "--description", "Water marks included"])).toMatch(
      /^bounty “Best cave map” posted \(bounty-\S+\): 50 tokens, 2 slots$/m,
    )
    const second = await json<Bounty>(["bounty", "post", "--title", "Fastest survey", "--reward", "20"])
    expect(second).toMatchObject({ title: "Fastest survey", reward: 20, slots: 1, state: "open" })
    await refused(["bounty", "post", "--title", "None", "--reward", "5", "--slots", "0"], /^vivarium: bounty post: --slots: slots are a whole number from 1 to 100$/)
    await refused(["bounty", "post", "--title", "Negative", "--reward=-5"], /^vivarium: bounty post: --reward: tokens are a whole number from 0 to 100000$/)

    const [first] = await json<Bounty[]>(["bounty", "list"])
    expect(await ok(["bounty", "submit", first!.id, "--resident", "ada-lovelace", "--content", "East cave sketch with the water marks of the last three floods."])).toMatch(
      /^submission sub-\S+ from Ada Lovelace: slot 1 ×1$/m,
    )
    const joint = await json<Submission>(["bounty", "submit", first!.id, "--resident", "mira-stone", "--members", "ada-lovelace", "--content", "West cave survey with depth soundings and a legend."])
    expect(joint).toMatchObject({ identity: "mira-stone", members: ["mira-stone", "ada-lovelace"], slotIndex: 2, multiplier: 1 })
    await refused(["bounty", "submit", first!.id, "--resident", "nobody", "--content", "a map of nothing at all, carefully drawn"], /^vivarium: There is no resident nobody\. /)
    await refused(["bounty", "submit", first!.id, "--resident", "ada-lovelace"], /^vivarium: bounty submit: --resident ID and --content TEXT are required$/)

    const listed = await ok(["bounty", "list"])
    expect(listed).toMatch(new RegExp(`^${first!.id}  claimed   50 tokens, 2 slots  “Best cave map”  posted by Owner$`, "m"))
    expect(listed).toMatch(/^ {4}sub-\S+ {2}Mira Stone, Ada Lovelace {2}slot 2 ×1: West cave survey/m)
    const ada = Object.values((await readFencedBounties(relay.workspace)).get(first!.id)!.submissions).find(s => s.identity === "ada-lovelace")!

    expect(await ok(["bounty", "complete", first!.id, "--winner", ada.id, "--runner-up", joint.id, "--runner-up-reward", "20"])).toBe(
      ["bounty “Best cave map” completed and paid:", "  Ada Lovelace: 50 tokens (winner)", "  Mira Stone: 20 tokens (runner-up)", "  Ada Lovelace: 20 tokens (runner-up)", ""].join("\n"),
    )
    await refused(["bounty", "complete", first!.id, "--winner", ada.id], /^vivarium: Bounty \S+ is already completed \(by owner\)/)
    await refused(["bounty", "complete", second.id, "--winner", ada.id], /^vivarium: Bounty \S+ has no submissions yet\./)
    await refused(["bounty", "complete", second.id, "--winner", ada.id, "--winner-reward", "1.5"], /^vivarium: bounty complete: --winner-reward: tokens are a whole number/)
    const quick = await json<Submission>(["bounty", "submit", second.id, "--resident", "mira-stone", "--content", "Surveyed the north passage in an hour."])
    expect(await json(["bounty", "complete", second.id, "--winner", quick.id])).toEqual({
      payouts: [expect.objectContaining({ member: "mira-stone", amount: 20, place: 1, written: true })],
    })
  })
})

describe("vivarium wallet", () => {
  it("shows a resident's balances and ledger; an unknown resident is refused", { timeout: SLOW }, async () => {
    const shown = await built(["wallet", "show", "ada-lovelace"])
    expect(shown).toMatch(/^Ada Lovelace {2}\(ada-lovelace\)$/m)
    expect(shown).toMatch(/^free time: \d+ \/ 500 {3}journal: \d+ \/ 200$/m)
    expect(shown).toMatch(/ \+50 {2}bounty \S+: winner .*\(35 free time, 15 journal\)$/m)
    const wallet = await json<{ resident: string; freeTime: number; journal: number; entries: { entry: { key: string } }[] }>(["wallet", "show", "ada-lovelace"])
    expect(wallet.resident).toBe("ada-lovelace")
    expect(wallet.entries.map(e => e.entry.key)).toContain(`mail-dm:${(await json<MailMessage[]>(["mail", "list"])).find(m => m.content === "Please map the east cave")!.id}`)
    expect(shown).toMatch(new RegExp(`^free time: ${wallet.freeTime} / 500 {3}journal: ${wallet.journal} / 200$`, "m"))
    await refused(["wallet", "show", "nobody"], /^vivarium: There is no resident nobody\. /)
    await refused(["wallet", "show"], /^vivarium: wallet show: missing RESIDENT_ID/)
  })
})
