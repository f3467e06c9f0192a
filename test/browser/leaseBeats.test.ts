/**
 * What the panel shows of liveness and leases now that neither is rewritten on every beat: a
 * worker holding a lease is online ("connected"), the task shows who holds its lease and that
 * it is renewed while the holder is online; once the worker stops, it is offline with when it
 * was last seen.
 */
import type { Browser } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import { go, joinAsOperator, launchBrowser, openDevice, screenshotBothSizes, screenshotsOnFailure } from "../helpers/browser.ts"
import { startFakeGroq } from "../helpers/fakeGroq.ts"
import { connectTestPeer, operatorOf } from "../helpers/peers.ts"
import { startTestRelay, until } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { approveWorker, startWorker } from "../helpers/workers.ts"

const teardown = useTeardown()
const suite = useTeardown("all")
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser(suite)
})

describe("liveness and leases in the panel", { timeout: 120_000 }, () => {
  it("a worker holding a lease shows online and the lease renewed; stopped, it shows offline and when it was last seen", async () => {
    const fake = await startFakeGroq({ kind: "hang" })
    teardown.add(() => fake.close())
    const relay = await startTestRelay(teardown, { schedulerTickMs: 50 })
    const worker = await startWorker(teardown, relay, "w-steady", { fake })
    await approveWorker(relay, "w-steady")
    const op = await connectTestPeer(teardown, relay)
    const task = op.workspace.addTask({ prompt: "Think about moss for a long while.", title: "moss thoughts" }, operatorOf(op))
    await until(relay, task.id, "running", 15_000)

    const ada = await openDevice(teardown, browser, "ada")
    await screenshotsOnFailure("lease-beats", { ada: () => ada.page }, async () => {
      const page = ada.page
      await joinAsOperator(page, relay, "Ada")
      await page.goto(`${relay.httpUrl}/tasks/${task.id}`)
      const lease = page.getByTestId("task-lease")
      await expect.poll(() => lease.textContent()).toMatch(/held by w-steady .* renewed while its holder is online/)
      await screenshotBothSizes(page, "lease-held")

      await go(page, "workers")
      const row = page.locator("tr", { hasText: "w-steady" })
      await expect.poll(() => row.locator(".badge").getAttribute("data-online")).toBe("true")
      await expect.poll(() => row.textContent()).toMatch(/connected/)
      await screenshotBothSizes(page, "workers-online")

      await worker.stop()
      await expect.poll(() => row.locator(".badge").getAttribute("data-online"), { timeout: 15_000 }).toBe("false")
      await expect.poll(() => row.textContent()).toMatch(/last seen .*ago/)
      await screenshotBothSizes(page, "workers-offline")
    })
  })
})
