/**
 * Every wait says why, in the panel: with only a worker that has no LLM key and plays no
 * resident, the queue rows and the task detail say why each task waits, and the quest
 * shows the state of the work behind it. A worker with a key that plays every resident
 * (as `vivarium start`'s does) then runs the work, and the views follow.
 */
import type { Browser } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import { assignQuest } from "../../src/domain/quests/index.ts"
import { go, joinAsOperator, launchBrowser, openDevice, screenshotBothSizes, screenshotsOnFailure } from "../helpers/browser.ts"
import { startFakeGroq } from "../helpers/fakeGroq.ts"
import { startTestRelay, until } from "../helpers/relay.ts"
import { forgeResidentAt, peerOperator } from "../helpers/socialFixture.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { approveWorker, startWorker } from "../helpers/workers.ts"

const teardown = useTeardown()
const suite = useTeardown("all")
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser(suite)
})

describe("why tasks wait, in the panel", { timeout: 120_000 }, () => {
  it("queue rows, task detail and the quest say why; they follow when a worker that can take the work arrives", async () => {
    const relay = await startTestRelay(teardown, { schedulerTickMs: 50, economyTickMs: 100 })
    const { node, resident } = await forgeResidentAt(teardown, relay, "Moss Keeper")
    const ctx = await peerOperator(node)
    // A worker without a key that plays no resident: local tasks only.
    await startWorker(teardown, relay, "w1")
    await approveWorker(relay, "w1")

    const haiku = node.workspace.addTask({ prompt: "Write a haiku about moss.", title: "moss haiku" }, ctx.actor)
    const after = node.workspace.addTask({ command: "ls", title: "after the haiku", dependsOn: [haiku.id] }, ctx.actor)
    const { quest, task: questTask } = await assignQuest(ctx, { title: "Map the north cave", objective: "Find every exit of the north cave.", identity: resident.id })
    await node.flushToRelay()
    await until(relay, haiku.id, "blocked")

    const ada = await openDevice(teardown, browser, "ada")
    await screenshotsOnFailure("wait-reasons", { ada: () => ada.page }, async () => {
      const page = ada.page
      await joinAsOperator(page, relay, "Ada")

      // The queue: a short reason on each row, the whole sentence on hover.
      await go(page, "queue")
      const reason = (id: string) => page.getByTestId(`task-row-${id}`).getByTestId("wait-reason")
      await expect.poll(() => reason(haiku.id).textContent()).toBe("no worker with an LLM key")
      expect(await reason(haiku.id).getAttribute("title")).toMatch(/^no online worker has an LLM key: an LLM task needs a worker started with GROQ_API_KEY/)
      expect(await reason(after.id).textContent()).toBe("waiting for “moss haiku”")
      expect(await reason(questTask.id).textContent()).toBe("no worker with an LLM key")
      await screenshotBothSizes(page, "wait-reasons-queue")

      // The task detail: the whole sentence, above the task's fields.
      await page.getByTestId(`task-row-${haiku.id}`).getByRole("link").click()
      const wait = page.getByTestId("task-wait")
      await expect.poll(() => wait.textContent()).toMatch(/Why it waits: no online worker has an LLM key: an LLM task needs a worker started with GROQ_API_KEY in its environment/)
      expect(await wait.getAttribute("data-wait")).toBe("no_llm_key")
      await screenshotBothSizes(page, "wait-reasons-task")

      // The quest: the work behind it, in its row and in its detail.
      await go(page, "quests")
      const row = page.getByTestId(`quest-work-${quest.id}`)
      await expect.poll(() => row.textContent()).toBe("0 of 1 task done, 1 waiting: no worker with an LLM key")
      await screenshotBothSizes(page, "wait-reasons-quests")
      await page.getByTestId(`quest-link-${quest.id}`).click()
      const work = page.getByTestId("quest-work")
      await expect.poll(() => work.textContent()).toMatch(/Work behind this quest: 0 of 1 task done, 1 waiting: no worker with an LLM key/)
      expect(await page.getByTestId("quest-wait").textContent()).toMatch(/1 task: no online worker has an LLM key/)
      await screenshotBothSizes(page, "wait-reasons-quest")

      // A worker with a key that plays every resident: the quest's task runs, and the quest says so.
      const fake = await startFakeGroq({ kind: "answer", text: () => "The north cave has three exits: the stair, the well and the gap." })
      teardown.add(() => fake.close())
      await startWorker(teardown, relay, "w2", { fake, playAllResidents: true })
      await approveWorker(relay, "w2")
      await until(relay, questTask.id, "approved", 20_000)
      await expect.poll(async () => (await work.textContent())?.trim(), { timeout: 10_000 }).toBe("Work behind this quest: 1 of 1 task done")
      await screenshotBothSizes(page, "wait-reasons-quest-done")
    })
    expect(ada.unexpectedErrors()).toEqual([])
  })
})
