import * as Automerge from "@automerge/automerge"
import { describe, expect, it } from "vitest"
import { z } from "zod"
import { PeerRecord, Task, type RootDoc } from "../../schemas/index.ts"
import { defaultControls } from "../../src/core/defaults.ts"
import { buildTask } from "../../src/domain/tasks/taskFactory.ts"
import {
  assertDocumentKind,
  InvalidDocumentError,
  readRoot,
  validateEntries,
  validateList,
  validateValue,
  type DataIssue,
} from "../../src/core/validate.ts"

const URL_A = "automerge:2j9knpCseyhnK8izDmLpGP5WMdZQ"
const ROOT_LABEL = `root ${URL_A}`
const QUEUE_LABEL = "queue automerge:3Qd5Ua2Yb1nS"

const goodTask = (id: string) =>
  buildTask({ command: "ls" }, defaultControls("relay", 0), { kind: "operator", name: "alice" }, 1_000, id)

function validRoot(): RootDoc {
  return {
    schemaVersion: 1,
    kind: "root",
    workspaceId: "ws-12345678",
    name: "Lab",
    createdAt: 5,
    docs: { queue: URL_A, identities: URL_A, wallets: URL_A, rooms: URL_A, quests: URL_A, bounties: URL_A, archives: { "2026-01": URL_A } },
    peers: {
      w1: { name: "w1", role: "worker", publicKey: "a".repeat(64), state: "approved", registeredAt: 1, auditUrl: URL_A },
    },
    controls: { ...defaultControls("alice", 3), killSwitch: { on: false, reason: "", setBy: "alice", setAt: 3 } },
  }
}

describe("validateEntries", () => {
  it("keeps valid entries and drops each invalid one with its document and path", () => {
    const broken = { ...goodTask("task-bad"), status: "exploded" }
    const wrongType = { ...goodTask("task-prio"), priority: "high" }
    const issues: DataIssue[] = []
    const tasks = validateEntries(
      Task,
      { "task-ok": goodTask("task-ok"), "task-bad": broken, "task-prio": wrongType, "task-junk": 42 },
      QUEUE_LABEL,
      ["tasks"],
      issues,
    )
    expect([...tasks.keys()]).toEqual(["task-ok"])
    expect(tasks.get("task-ok")).toEqual(goodTask("task-ok"))
    expect(issues.map(i => [i.doc, i.path])).toEqual([
      [QUEUE_LABEL, "tasks.task-bad.status"],
      [QUEUE_LABEL, "tasks.task-prio.priority"],
      [QUEUE_LABEL, "tasks.task-junk"],
    ])
    for (const i of issues) expect(i.message.length).toBeGreaterThan(0)
  })

  it("returns plain copies, not the input objects", () => {
    const input = { "task-ok": goodTask("task-ok") }
    const tasks = validateEntries(Task, input, QUEUE_LABEL, ["tasks"], [])
    expect(tasks.get("task-ok")).not.toBe(input["task-ok"])
  })

  it("reports a record that is not an object at the record's own path", () => {
    for (const bad of [null, "tasks", [goodTask("task-ok")], 7]) {
      const issues: DataIssue[] = []
      expect(validateEntries(Task, bad, QUEUE_LABEL, ["tasks"], issues).size).toBe(0)
      expect(issues).toEqual([{ doc: QUEUE_LABEL, path: "tasks", message: "expected an object of entries" }])
    }
  })

  it("caps the issues of one entry at five and long messages at 200 characters", () => {
    const issues: DataIssue[] = []
    const wreck = { id: 1, title: 2, mode: 3, model: 4, minBudgetUsd: "a", maxBudgetUsd: "b", priority: "c", status: "d" }
    validateEntries(Task, { wreck }, QUEUE_LABEL, ["tasks"], issues)
    expect(issues).toHaveLength(5)
    const long: DataIssue[] = []
    validateValue(
      Task.refine(() => false, { message: "m".repeat(1_000) }),
      goodTask("t"),
      QUEUE_LABEL,
      [],
      long,
    )
    expect(long[0]!.message).toBe(`${"m".repeat(200)}…`)
  })
})

describe("validateList", () => {
  it("drops invalid items with their index in the path", () => {
    const issues: DataIssue[] = []
    const out = validateList(PeerRecord.shape.name, ["ok", "", "also-ok", 5], "audit x", ["entries"], issues)
    expect(out).toEqual(["ok", "also-ok"])
    expect([...new Set(issues.map(i => i.path))]).toEqual(["entries.1", "entries.3"])
    const notAList: DataIssue[] = []
    expect(validateList(PeerRecord.shape.name, { 0: "ok" }, "audit x", ["entries"], notAList)).toEqual([])
    expect(notAList[0]).toMatchObject({ path: "entries", message: "expected a list" })
  })
})

describe("reading a document again after a change", () => {
  type Doc = { entries: Record<string, { id: string; n: number }>; list: { id: string; n: number }[] }
  /** A schema that counts how often it parses. */
  function counted() {
    const seen: string[] = []
    const schema = z.object({ id: z.string(), n: z.number().int().nonnegative() }).refine(v => (seen.push(v.id), true))
    return { schema, seen }
  }

  it("validates only the entries that changed, and reports an unchanged invalid entry again", () => {
    const { schema, seen } = counted()
    let doc = Automerge.from<Doc>({ entries: { a: { id: "a", n: 1 }, b: { id: "b", n: 2 }, bad: { id: "bad", n: -1 } }, list: [] })
    const first: DataIssue[] = []
    expect([...validateEntries(schema, doc.entries, "doc", ["entries"], first, "id").keys()]).toEqual(["a", "b"])
    expect(first.map(i => i.path)).toEqual(["entries.bad.n"])
    seen.length = 0
    doc = Automerge.change(doc, d => void (d.entries.b!.n = 3))
    const again: DataIssue[] = []
    const read = validateEntries(schema, doc.entries, "doc", ["entries"], again, "id")
    expect(seen).toEqual(["b"])
    expect(read.get("b")?.n).toBe(3)
    expect(read.get("a")?.n).toBe(1)
    expect(again).toEqual(first)
  })

  it("reads an element again where it moved to, so its issues name where it is", () => {
    const { schema } = counted()
    let doc = Automerge.from<Doc>({ entries: {}, list: [{ id: "x", n: -1 }] })
    const first: DataIssue[] = []
    validateList(schema, doc.list, "doc", ["list"], first)
    expect(first.map(i => i.path)).toEqual(["list.0.n"])
    doc = Automerge.change(doc, d => void d.list.unshift({ id: "y", n: 1 }))
    const again: DataIssue[] = []
    expect(validateList(schema, doc.list, "doc", ["list"], again).map(e => e.id)).toEqual(["y"])
    expect(again.map(i => i.path)).toEqual(["list.1.n"])
  })
})

describe("readRoot", () => {
  it("returns a valid root unchanged and reports nothing", () => {
    const issues: DataIssue[] = []
    expect(readRoot(validRoot(), ROOT_LABEL, issues)).toEqual(validRoot())
    expect(issues).toEqual([])
  })

  it("drops an invalid peer and reports doc and path, keeping the valid peers", () => {
    const root = validRoot() as unknown as { peers: Record<string, unknown> }
    root.peers.evil = { name: "evil", role: "superuser", publicKey: "zz", state: "approved", registeredAt: 1, auditUrl: URL_A }
    const issues: DataIssue[] = []
    const read = readRoot(root, ROOT_LABEL, issues)
    expect(Object.keys(read.peers)).toEqual(["w1"])
    expect(issues.map(i => [i.doc, i.path])).toEqual([
      [ROOT_LABEL, "peers.evil.role"],
      [ROOT_LABEL, "peers.evil.publicKey"],
    ])
  })

  it("falls back to kill switch ON when controls.killSwitch is corrupt", () => {
    for (const corrupt of [{ on: "no", reason: "", setBy: "alice", setAt: 3 }, "off", null, undefined, { on: false }]) {
      const root = validRoot() as unknown as { controls: Record<string, unknown> }
      root.controls.killSwitch = corrupt
      const issues: DataIssue[] = []
      const read = readRoot(root, ROOT_LABEL, issues)
      expect(read.controls.killSwitch.on, JSON.stringify(corrupt)).toBe(true)
      expect(read.controls.killSwitch.reason).toMatch(/unreadable/)
      expect(issues.some(i => i.doc === ROOT_LABEL && i.path.startsWith("controls.killSwitch"))).toBe(true)
      // The other controls are still read from the document, field by field.
      expect(read.controls.spendCapUsd).toBe(validRoot().controls.spendCapUsd)
      expect(read.controls.defaultModel).toBe("auto")
    }
  })

  it("a deliberately set kill switch is kept, and a corrupt other control falls back alone", () => {
    const root = validRoot() as unknown as { controls: Record<string, unknown> }
    root.controls.killSwitch = { on: true, reason: "maintenance", setBy: "alice", setAt: 9 }
    root.controls.spendCapUsd = -5
    const issues: DataIssue[] = []
    const read = readRoot(root, ROOT_LABEL, issues)
    expect(read.controls.killSwitch).toEqual({ on: true, reason: "maintenance", setBy: "alice", setAt: 9 })
    expect(read.controls.spendCapUsd).toBe(1)
    expect(issues.map(i => i.path)).toEqual(["controls.spendCapUsd"])
  })

  it("missing controls altogether: everything falls back, kill switch ON", () => {
    const root = validRoot() as unknown as Record<string, unknown>
    delete root.controls
    const issues: DataIssue[] = []
    expect(readRoot(root, ROOT_LABEL, issues).controls.killSwitch.on).toBe(true)
    expect(issues.length).toBeGreaterThanOrEqual(6)
  })

  it("a bad name or createdAt is reported and replaced", () => {
    const root = { ...validRoot(), name: "", createdAt: -1 }
    const issues: DataIssue[] = []
    const read = readRoot(root, ROOT_LABEL, issues)
    expect(read.name).toBe("(unnamed workspace)")
    expect(read.createdAt).toBe(0)
    expect(issues.map(i => i.path)).toEqual(["name", "createdAt"])
  })

  it("throws InvalidDocumentError when a docs.* URL is invalid", () => {
    for (const [key, value] of [
      ["queue", "http://example.com/queue"],
      ["quests", "automerge:"],
      ["bounties", "automerge:0OIl"],
      ["rooms", undefined],
    ] as const) {
      const root = validRoot() as unknown as { docs: Record<string, unknown> }
      root.docs[key] = value
      const error = catchError(() => readRoot(root, ROOT_LABEL, []))
      expect(error, key).toBeInstanceOf(InvalidDocumentError)
      const invalid = error as InvalidDocumentError
      expect(invalid.doc).toBe(ROOT_LABEL)
      expect(invalid.issues.map(i => i.path)).toEqual([`docs.${key}`])
      expect(invalid.message).toContain(`${ROOT_LABEL} is not a valid Vivarium document: docs.${key}:`)
    }
    const archive = validRoot() as unknown as { docs: { archives: Record<string, unknown> } }
    archive.docs.archives["2026-02"] = "nope"
    expect(() => readRoot(archive, ROOT_LABEL, [])).toThrow(InvalidDocumentError)
  })

  it("throws InvalidDocumentError for a missing workspaceId, the wrong kind or version, or an empty document", () => {
    expect(() => readRoot({ ...validRoot(), workspaceId: "short" }, ROOT_LABEL, [])).toThrow(/workspaceId/)
    expect(() => readRoot({ ...validRoot(), kind: "queue" }, ROOT_LABEL, [])).toThrow(/kind: expected "root", got "queue"/)
    expect(() => readRoot({ ...validRoot(), schemaVersion: 2 }, ROOT_LABEL, [])).toThrow(/schemaVersion: expected 1, got 2/)
    expect(() => readRoot(undefined, ROOT_LABEL, [])).toThrow(/\(root\): document is empty/)
  })
})

describe("assertDocumentKind", () => {
  it("accepts the right kind and version and refuses others", () => {
    expect(() => assertDocumentKind("queue", { kind: "queue", schemaVersion: 1, tasks: {} }, QUEUE_LABEL)).not.toThrow()
    const error = catchError(() => assertDocumentKind("queue", { kind: "room", schemaVersion: 1 }, QUEUE_LABEL))
    expect(error).toBeInstanceOf(InvalidDocumentError)
    expect((error as InvalidDocumentError).issues).toEqual([{ doc: QUEUE_LABEL, path: "kind", message: 'expected "queue", got "room"' }])
  })
})

function catchError(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error("expected a throw")
}
