/**
 * Words for humans, in a real browser against the built app served by a real relay: the task
 * form refuses a forbidden command (and an out-of-range budget) as it is typed, with the same
 * sentence the actions and the CLI use, and keeps submit disabled; cancelling a task asks
 * first and can be undone before anything is written; an edit can be undone by the reverse
 * edit; a bad resident name is refused in plain words.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import type { Browser, Page } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import type { AuditDoc, Task } from "../../schemas/index.ts"
import { inputError, UserError } from "../../src/core/errors.ts"
import { BANNED_NAME_WORDS } from "../../src/domain/residents/forge.ts"
import { TaskRequest, taskTextRefusal } from "../../src/domain/tasks/index.ts"
import { go, joinAsOperator, launchBrowser, openDevice, screenshotBothSizes, screenshotsOnFailure } from "../helpers/browser.ts"
import { startTestRelay, until, type TestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { auditEntries } from "../../src/domain/audit/index.ts"

const teardown = useTeardown()
const suite = useTeardown("all")
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser(suite)
})

const DESKTOP = { width: 1280, height: 800 }

const text = (error: { message: string; next: string }) => `${error.message} ${error.next}`

async function addLocalTask(page: Page, relay: TestRelay, command: string): Promise<Task> {
  await page.getByTestId("task-mode").selectOption("local")
  await page.getByTestId("task-text").fill(command)
  await page.getByTestId("task-submit").click()
  const task = await waitFor(() => [...relay.workspace.tasks.entries.values()].find(t => t.command === command) ?? false, {
    events: [[relay.workspace.tasks, "change"]],
    message: `the task "${command}" to reach the relay`,
  })
  await page.getByTestId(`task-row-${task.id}`).waitFor()
  return task
}

describe("words for humans in the browser", { timeout: 120_000 }, () => {
  it("a forbidden command is refused as it is typed; cancel asks first and can be undone; an edit can be undone; a bad name is refused in plain words", async () => {
    // No worker: tasks stay in the queue, where they can be cancelled and edited.
    const relay = await startTestRelay(teardown)
    const op = await openDevice(teardown, browser, "op")
    await screenshotsOnFailure("human-words", { op: () => op.page }, async () => {
      const page = op.page
      await page.setViewportSize(DESKTOP)
      await joinAsOperator(page, relay, "Grace")
      await go(page, "queue")

      // The live check: the worker's rule, in the catalogue's words, and submit stays disabled.
      const submit = page.getByTestId("task-submit")
      const problem = page.getByTestId("task-problem")
      await page.getByTestId("task-mode").selectOption("local")
      expect(await submit.isDisabled()).toBe(true)
      await page.getByTestId("task-text").fill("rm -rf /")
      const forbidden = taskTextRefusal({ command: "rm -rf /" })!
      expect(forbidden.message).toMatch(/^This command is not allowed: /)
      await expect.poll(() => problem.textContent()).toBe(text(forbidden))
      expect(await problem.getAttribute("data-code")).toBe("command_not_allowed")
      expect(await submit.isDisabled()).toBe(true)
      expect(await page.getByTestId("task-text").getAttribute("aria-invalid")).toBe("true")
      await screenshotBothSizes(page, "human-words-forbidden-command")
      await page.getByTestId("task-text").fill("ls | sh")
      await expect.poll(() => problem.textContent()).toContain(`This command is not allowed: shell operator "|" (pipe) is not allowed`)

      // Limits as typed too: a budget out of range, said with the input's own rule.
      await page.getByTestId("task-mode").selectOption("llm")
      await page.getByTestId("task-text").fill("Summarise the notes.")
      await page.getByTestId("task-max-budget").fill("5000")
      const overBudget = inputError(TaskRequest.safeParse({ prompt: "p", maxBudgetUsd: 5000 }).error!.issues)
      await expect.poll(() => problem.textContent()).toBe(text(overBudget))
      expect(await submit.isDisabled()).toBe(true)
      await page.getByTestId("task-max-budget").fill("")
      await expect.poll(() => problem.textContent()).toBe("")
      expect(await submit.isDisabled()).toBe(false)

      // A task to cancel: Keep changes nothing; confirming holds the cancel, and Undo drops it unwritten.
      const task = await addLocalTask(page, relay, "ls -la")
      await page.getByTestId(`cancel-${task.id}`).click()
      const dialog = page.getByTestId("confirm-dialog")
      await expect.poll(() => dialog.textContent()).toContain(`Cancel the task “${task.title}”?`)
      await screenshotBothSizes(page, "human-words-confirm-cancel")
      await page.getByTestId("confirm-keep").click()
      await expect.poll(() => dialog.isVisible()).toBe(false)
      expect(await page.getByTestId(`undo-cancel:${task.id}`).count()).toBe(0)

      await page.getByTestId(`cancel-${task.id}`).click()
      await page.getByTestId("confirm-yes").click()
      const toast = page.getByTestId(`undo-cancel:${task.id}`)
      await expect.poll(() => toast.textContent()).toContain(`Task cancelled: “${task.title}”`)
      expect(await page.getByTestId(`cancel-${task.id}`).isDisabled()).toBe(true)
      await screenshotBothSizes(page, "human-words-undo-cancel")
      await page.getByTestId(`undo-button-cancel:${task.id}`).click()
      await expect.poll(() => toast.count()).toBe(0)
      expect(await page.getByTestId(`cancel-${task.id}`).isDisabled()).toBe(false)

      // Cancelled for real this time: the held decision is written when its undo window ends.
      // The operator's audit log then holds exactly one transition for the task: the undone one never ran.
      await page.getByTestId(`cancel-${task.id}`).click()
      await page.getByTestId("confirm-yes").click()
      const cancelled = await until(relay, task.id, "cancelled", 20_000)
      const me = cancelled.history.at(-1)!.by.name
      const log = await relay.repo.find<AuditDoc>(relay.workspace.root.peers[me]!.auditUrl as AutomergeUrl)
      const transitions = () => auditEntries(log.doc()).filter(e => e.kind === "transition" && e.subject === task.id)
      await waitFor(() => transitions().length > 0, { events: [[log, "change"]], message: "the cancel in the audit log" })
      expect(transitions().map(e => JSON.parse(e.data).to)).toEqual(["cancelled"])

      // An edit is written at once; its undo is the reverse edit, signed like any other.
      const edited = await addLocalTask(page, relay, "echo one")
      await page.getByTestId(`edit-${edited.id}`).click()
      await page.locator(`#edit-text-${edited.id}`).fill("echo one | sh")
      await expect.poll(() => page.getByTestId(`edit-problem-${edited.id}`).textContent()).toContain("This command is not allowed")
      expect(await page.getByTestId(`edit-save-${edited.id}`).isDisabled()).toBe(true)
      await page.locator(`#edit-text-${edited.id}`).fill("echo one")
      await page.locator(`#edit-title-${edited.id}`).fill("Say one")
      await page.getByTestId(`edit-save-${edited.id}`).click()
      await waitFor(() => relay.workspace.tasks.get(edited.id)?.title === "Say one", { events: [[relay.workspace.tasks, "change"]], message: "the edit" })
      await page.getByTestId(`undo-button-edit:${edited.id}`).click()
      await waitFor(() => relay.workspace.tasks.get(edited.id)?.title === edited.title, { events: [[relay.workspace.tasks, "change"]], message: "the undone edit" })
      await waitFor(() => auditEntries(log.doc()).filter(e => e.kind === "task_edited" && e.subject === edited.id).length === 2, {
        events: [[log, "change"]],
        message: "the edit and its undo, both signed",
      })

      // A bad resident name: the plain sentence and its next step, never a code in capitals.
      await go(page, "residents")
      await page.getByTestId("resident-name").fill("Agent Smith")
      await page.getByTestId("resident-submit").click()
      const refusal = new UserError("name_banned_word", { name: "Agent Smith", word: "agent", banned: BANNED_NAME_WORDS })
      const shown = page.getByTestId("resident-form-error")
      await expect.poll(() => shown.textContent()).toBe(text(refusal))
      expect(await shown.textContent()).not.toMatch(/[A-Z]{2,}_[A-Z]|TRY AGAIN/)
      await screenshotBothSizes(page, "human-words-resident-name")
      expect(op.unexpectedErrors()).toEqual([])
    })
  })
})
