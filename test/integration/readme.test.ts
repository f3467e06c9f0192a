/**
 * The README is a test: its newcomer loop (the shell blocks marked by an HTML comment
 * `<!-- newcomer loop, first terminal … -->` and `<!-- newcomer loop, second terminal … -->`)
 * runs as written, in an empty directory, and each command does what the README says.
 * `npx vivarium` runs as `node bin/vivarium.js`; the only things set from outside are the
 * ones the README names: VIVARIUM_PORT=0 (any free port) and no GROQ_API_KEY; the CLI acts as
 * the owner through ./.vivarium, as on the relay's machine. Every command of the loop needs a check below, and every check a command.
 */
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import type { NodePeer } from "../../src/peer/nodePeer.ts"
import { REPO_ROOT, spawnCli, type CliChild } from "../helpers/child.ts"
import { runCli, type CliResult } from "../helpers/cli.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()

interface Loop {
  /** The first terminal's command: it keeps running. */
  first: string[][]
  /** The second terminal's commands, in order. */
  second: string[][]
}

/** A line of shell as words: quotes group, `#` outside them starts a comment. */
function shellWords(line: string): string[] {
  const words: string[] = []
  let word: string | undefined
  let quote: string | undefined
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined
      else word += ch
    } else if (ch === '"' || ch === "'") {
      quote = ch
      word ??= ""
    } else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word)
      word = undefined
    } else if (ch === "#" && word === undefined) break
    else word = (word ?? "") + ch
  }
  if (quote) throw new Error(`unclosed quote in: ${line}`)
  if (word !== undefined) words.push(word)
  return words
}

/** The marked blocks of the README, each line as the arguments of `npx vivarium`. */
function newcomerLoop(readme: string): Loop {
  const loop: Loop = { first: [], second: [] }
  for (const [, terminal, body] of readme.matchAll(/<!-- newcomer loop, (first|second) terminal[^>]*-->\s*```sh\n([\s\S]*?)```/g)) {
    for (const line of body!.split("\n")) {
      const words = shellWords(line)
      if (!words.length) continue
      if (words[0] !== "npx" || words[1] !== "vivarium") throw new Error(`the newcomer loop runs only vivarium commands here; teach this test to run: ${line}`)
      loop[terminal as keyof Loop].push(words.slice(2))
    }
  }
  return loop
}

/** What the loop learns as it goes: where the relay is, the task it added. */
interface State {
  cwd: string
  peer?: NodePeer
  id?: string
}

interface Check {
  /** Waits for what a newcomer would wait for before typing the command. */
  before?: (state: State) => Promise<void>
  /** What the README says the command does. */
  after: (result: CliResult, state: State) => Promise<void> | void
}

const taskStatus = (state: State) => state.peer!.workspace.tasks.get(state.id!)?.status

const CHECKS: Record<string, Check> = {
  "task add": {
    after: (r, state) => {
      expect(r.stdout.trim(), "task add prints the new task's id").toMatch(/^task-[0-9a-z]+-[0-9a-f]{4}$/)
      state.id = r.stdout.trim()
    },
  },
  "task list": {
    after: (r, state) => expect(r.stdout, "task list shows the task and its status").toMatch(new RegExp(`^${state.id} +(queued|claimed|running|pending_review) +local +ls`, "m")),
  },
  status: {
    after: r => {
      expect(r.stdout).toMatch(/^queue: +\S/m)
      expect(r.stdout).toMatch(/^peers: +\d+ online of \d+ registered/m)
    },
  },
  "task show": {
    // The worker runs `ls` in a moment: the newcomer looks once it is in review.
    before: state =>
      waitFor(() => taskStatus(state) === "pending_review", {
        timeoutMs: 20_000,
        events: [[state.peer!.workspace.tasks, "change"]],
        message: `the local worker to run ${state.id} (is ${taskStatus(state)})`,
      }).then(() => undefined),
    after: (r, state) => {
      expect(r.stdout).toMatch(new RegExp(`^${state.id}  pending_review`))
      expect(r.stdout, "the result").toContain("result:   by local-worker, local, $0, exit 0\n  (no output)")
      expect(r.stdout, "the critic's verdict").toMatch(/^review: +approve \(confidence 0\.95\)/m)
      expect(r.stdout, "the history").toMatch(/^history:\n.* queued → claimed {2}by Relay: lease granted to local-worker/m)
      expect(r.stdout, "local results wait for a human review").toMatch(/→ pending_review {2}by local-worker: local commands are always reviewed/)
      expect(r.stdout).toMatch(/^waiting: +its result waits for an operator's review/m)
    },
  },
  "task approve": {
    after: async (r, state) => {
      expect(r.stdout.trim()).toBe(`${state.id} approved`)
      await waitFor(() => taskStatus(state) === "approved", { events: [[state.peer!.workspace.tasks, "change"]], message: "the approval to reach the relay" })
    },
  },
  "audit verify": {
    after: r => {
      expect(r.stdout).toMatch(/^all \d+ audit logs verify$/m)
      expect(r.stdout).toMatch(/^every authority record verifies$/m)
    },
  },
}

const keyOf = (args: string[]) => (args[0] === "task" || args[0] === "audit" ? args.slice(0, 2).join(" ") : args[0]!)

describe("the README's newcomer loop", () => {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8")

  it("reads as: one command in the first terminal (start), and vivarium commands in the second, each with a check here", () => {
    const loop = newcomerLoop(readme)
    expect(loop.first).toEqual([["start"]])
    expect(loop.second.map(keyOf).sort()).toEqual(Object.keys(CHECKS).sort())
    expect(shellWords(`npx vivarium task add --command "ls -la"   # prints the id`)).toEqual(["npx", "vivarium", "task", "add", "--command", "ls -la"])
  })

  it("runs as written and does what the README says", async () => {
    const loop = newcomerLoop(readme)
    const cwd = makeTempDir(teardown, "vivarium-readme-")
    const env = { VIVARIUM_PORT: "0", GROQ_API_KEY: undefined }
    const state: State = { cwd }

    // First terminal: `npx vivarium start`. "It prints the control-panel link (with the workspace
    // secret) and the relay address, and runs one approved worker (local-worker) that executes
    // local-mode tasks …, and it plays every resident."
    const app: CliChild = spawnCli(loop.first[0]!, { cwd, env })
    teardown.add(() => app.stop("SIGKILL"))
    await waitFor(() => /Press Ctrl\+C to stop/.test(app.stdout()) || !app.isRunning(), { timeoutMs: 30_000, message: "start to print its banner" })
    const banner = app.stdout()
    expect(existsSync(join(cwd, ".vivarium")), "data in ./.vivarium").toBe(true)
    const secret = readFileSync(join(cwd, ".vivarium", "join-secret"), "utf8").trim()
    expect(banner).toMatch(new RegExp(`Control panel: http://127\\.0\\.0\\.1:\\d+/#join=${encodeURIComponent(secret)}`))
    const wsUrl = /Relay:\s+(ws:\/\/127\.0\.0\.1:\d+)/.exec(banner)?.[1]
    expect(wsUrl, banner).toBeDefined()
    expect(banner).toMatch(/Worker:\s+local-worker \(approved; local tasks only — set GROQ_API_KEY for LLM tasks; plays every resident\)/)
    state.peer = await connectTestPeer(teardown, { wsUrl: wsUrl!, token: secret, dataDir: join(cwd, ".vivarium") })

    // Second terminal, same directory: each command in order, <id> being the task it added.
    for (const args of loop.second) {
      const check = CHECKS[keyOf(args)]!
      await check.before?.(state)
      const argv = args.map(a => (a === "<id>" ? state.id! : a))
      const result = await runCli(argv, { cwd, env })
      expect(result.code, `vivarium ${argv.join(" ")}\n${result.stdout}\n${result.stderr}`).toBe(0)
      await check.after(result, state)
    }

    // "Press Ctrl+C to stop."
    await state.peer.close()
    expect(await app.stop("SIGINT")).toEqual({ code: 0, signal: null })
  }, 120_000)
})
