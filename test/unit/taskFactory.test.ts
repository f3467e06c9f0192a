import { describe, expect, it } from "vitest"
import { Id, LIMITS, Task, type Actor, type RuntimeControls } from "../../schemas/index.ts"
import { defaultControls } from "../../src/core/defaults.ts"
import { NewTaskInput } from "../../src/domain/tasks/inputs.ts"
import { buildTask, newTaskId } from "../../src/domain/tasks/taskFactory.ts"

const by: Actor = { kind: "operator", name: "alice" }
const NOW = 1_764_000_000_000
const controls = (over: Partial<RuntimeControls> = {}): RuntimeControls => ({ ...defaultControls("relay", 0), ...over })
const build = (input: unknown, c = controls()) => buildTask(NewTaskInput.parse(input), c, by, NOW, "task-1")

describe("buildTask defaults", () => {
  it("an llm task from a prompt gets the runtime-contract defaults and is a valid Task", () => {
    const task = build({ prompt: "summarise the logs" })
    expect(task).toEqual({
      id: "task-1",
      title: "summarise the logs",
      mode: "llm",
      prompt: "summarise the logs",
      model: "auto",
      minBudgetUsd: 0.05,
      maxBudgetUsd: 0.1,
      priority: 0,
      dependsOn: [],
      status: "queued",
      attempts: 0,
      errors: 0,
      executions: [],
      room: "town_hall",
      createdBy: "alice",
      createdAt: NOW,
      updatedAt: NOW,
      history: [],
    })
    expect(Task.parse(task)).toEqual(task)
  })

  it("infers mode local from a command, and a local task's model stays auto", () => {
    const task = build({ command: "ls -la" }, controls({ defaultModel: "llama-3.3-70b-versatile" }))
    expect(task.mode).toBe("local")
    expect(task.command).toBe("ls -la")
    expect(task).not.toHaveProperty("prompt")
    expect(task.model).toBe("auto")
    expect(Task.safeParse(task).success).toBe(true)
  })

  it("an llm task takes the workspace's default model and budgets from the controls", () => {
    const task = build({ prompt: "hi" }, controls({ defaultModel: "openai/gpt-oss-20b", defaultMinBudgetUsd: 0.2, defaultMaxBudgetUsd: 0.3 }))
    expect(task).toMatchObject({ model: "openai/gpt-oss-20b", minBudgetUsd: 0.2, maxBudgetUsd: 0.3 })
  })

  it("explicit values win over the defaults", () => {
    const task = build({
      prompt: "p",
      title: "T",
      model: "llama-3.1-8b-instant",
      minBudgetUsd: 0.01,
      maxBudgetUsd: 0.5,
      priority: -7,
      dependsOn: ["task-a", "task-b", "task-a"],
      targetIdentity: "ada",
      link: { kind: "quest", id: "q1" },
      room: "watercooler",
    })
    expect(task).toMatchObject({
      title: "T",
      model: "llama-3.1-8b-instant",
      minBudgetUsd: 0.01,
      maxBudgetUsd: 0.5,
      priority: -7,
      dependsOn: ["task-a", "task-b"],
      targetIdentity: "ada",
      link: { kind: "quest", id: "q1" },
      room: "watercooler",
    })
    expect(Task.safeParse(task).success).toBe(true)
  })

  it("a minimum above the maximum is lowered to the maximum", () => {
    expect(build({ prompt: "p", minBudgetUsd: 0.5, maxBudgetUsd: 0.2 })).toMatchObject({ minBudgetUsd: 0.2, maxBudgetUsd: 0.2 })
    // Also when only the maximum is given and it is below the default minimum (0.05).
    expect(build({ prompt: "p", maxBudgetUsd: 0.01 })).toMatchObject({ minBudgetUsd: 0.01, maxBudgetUsd: 0.01 })
    // And when only the minimum is given above the default maximum (0.10).
    const task = build({ prompt: "p", minBudgetUsd: 3 })
    expect(task).toMatchObject({ minBudgetUsd: 0.1, maxBudgetUsd: 0.1 })
    expect(Task.safeParse(task).success).toBe(true)
  })

  it("titles come from the text, cut to 80 characters", () => {
    expect(build({ command: "x".repeat(80) }).title).toBe("x".repeat(80))
    const long = build({ prompt: "y".repeat(500) })
    expect(long.title).toBe(`${"y".repeat(77)}...`)
    expect(long.title).toHaveLength(80)
  })

  it("whatever NewTaskInput accepts, buildTask returns a schema-valid Task", () => {
    // A task that fails its own schema would be dropped by every reader as invalid data.
    const accepted = [{ prompt: "p" }, { command: "c" }, { prompt: "p", mode: "llm" }, { command: "c", mode: "local" }, { command: "ls", mode: "llm" }, { prompt: "p", mode: "local" }]
    const invalid: string[] = []
    for (const input of accepted) {
      if (!NewTaskInput.safeParse(input).success) continue
      const parsed = Task.safeParse(build(input))
      if (!parsed.success) invalid.push(`${JSON.stringify(input)}: ${parsed.error.issues[0]?.message}`)
    }
    expect(invalid).toEqual([])
  })
})

describe("NewTaskInput", () => {
  it("refuses both prompt and command", () => {
    const r = NewTaskInput.safeParse({ prompt: "p", command: "c" })
    expect(r.success).toBe(false)
    expect(r.error?.issues[0]?.message).toBe("give exactly one of prompt or command")
  })

  it("refuses neither prompt nor command", () => {
    const r = NewTaskInput.safeParse({ title: "nothing to do" })
    expect(r.success).toBe(false)
    expect(r.error?.issues[0]?.message).toBe("give exactly one of prompt or command")
  })

  it("refuses empty and oversized text, unknown keys and out-of-range values", () => {
    for (const bad of [
      { prompt: "" },
      { prompt: "x".repeat(LIMITS.prompt + 1) },
      { command: "x".repeat(LIMITS.command + 1) },
      { prompt: "p", status: "approved" },
      { prompt: "p", priority: 101 },
      { prompt: "p", priority: 1.5 },
      { prompt: "p", maxBudgetUsd: -1 },
      { prompt: "p", model: "gpt-4" },
      { prompt: "p", dependsOn: ["not an id!"] },
    ]) {
      expect(NewTaskInput.safeParse(bad).success, JSON.stringify(bad).slice(0, 80)).toBe(false)
    }
  })
})

describe("newTaskId", () => {
  it("is a valid, time-sortable id", () => {
    const a = newTaskId(NOW, () => 0)
    const b = newTaskId(NOW + 1, () => 0.99999)
    expect(a).toBe(`task-${NOW.toString(36)}-0000`)
    expect(b).toMatch(/^task-[0-9a-z]+-[0-9a-f]{4}$/)
    expect(Id.safeParse(a).success && Id.safeParse(b).success).toBe(true)
    expect(a < b).toBe(true)
  })
})
