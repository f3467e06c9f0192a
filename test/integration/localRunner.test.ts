import { spawnSync } from "node:child_process"
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { DEFAULT_LOCAL_POLICY, checkLocalCommand, hardenedArgv } from "../../src/core/safety.ts"
import { KILL_GRACE_MS, nodeRealpath, runLocal } from "../../worker/localRunner.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { useTeardown } from "../helpers/teardown.ts"

const teardown = useTeardown()
const NODE = process.execPath

function opts(cwd: string, extra: Partial<Parameters<typeof runLocal>[1]> = {}) {
  return { cwd, timeoutMs: 10_000, maxOutputBytes: 64 * 1024, ...extra }
}

describe("runLocal", () => {
  const savedEnv = { ...process.env }
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key]
    Object.assign(process.env, savedEnv)
  })

  it("runs echo and captures its output", async () => {
    const dir = makeTempDir(teardown)
    const result = await runLocal(["echo", "hi"], opts(dir))
    expect(result).toMatchObject({ exitCode: 0, output: "hi\n", timedOut: false, truncated: false, aborted: false })
    expect(result.durationMs).toBeGreaterThanOrEqual(0)
  })

  it("runs in the given working directory, without a shell", async () => {
    const dir = makeTempDir(teardown)
    expect((await runLocal(["pwd"], opts(dir))).output.trim()).toBe(realpathSync(dir))
    // No shell: metacharacters are plain arguments.
    expect((await runLocal(["echo", "$HOME", ";", "ls"], opts(dir))).output).toBe("$HOME ; ls\n")
  })

  it("captures a non-zero exit code and stderr", async () => {
    const dir = makeTempDir(teardown)
    const result = await runLocal(["ls", "does-not-exist"], opts(dir))
    expect(result.exitCode).not.toBe(0)
    expect(result.exitCode).not.toBeNull()
    expect(result.output).toContain("does-not-exist")
    expect(result.timedOut).toBe(false)
  })

  it("interleaves stdout and stderr", async () => {
    const dir = makeTempDir(teardown)
    const script = "process.stdout.write('out\\n'); process.stderr.write('err\\n')"
    const result = await runLocal([NODE, "-e", script], opts(dir))
    expect(result.output.split("\n").sort()).toEqual(["", "err", "out"])
  })

  it("kills a process that runs past the timeout", async () => {
    const dir = makeTempDir(teardown)
    const result = await runLocal([NODE, "-e", "setTimeout(() => {}, 60000)"], opts(dir, { timeoutMs: 300 }))
    expect(result.timedOut).toBe(true)
    expect(result.exitCode).toBeNull()
    expect(result.durationMs).toBeLessThan(10_000)
  })

  it("escalates to SIGKILL when the process ignores SIGTERM", async () => {
    const dir = makeTempDir(teardown)
    const script = "process.on('SIGTERM', () => console.log('ignored SIGTERM')); setTimeout(() => {}, 60000)"
    const result = await runLocal([NODE, "-e", script], opts(dir, { timeoutMs: 1_500 }))
    expect(result.timedOut).toBe(true)
    expect(result.exitCode).toBeNull()
    expect(result.output).toBe("ignored SIGTERM\n")
    expect(result.durationMs).toBeGreaterThanOrEqual(1_500 + KILL_GRACE_MS - 50)
    expect(result.durationMs).toBeLessThan(10_000)
  })

  it("truncates a big output at the byte cap", async () => {
    const dir = makeTempDir(teardown)
    const result = await runLocal([NODE, "-e", "process.stdout.write('x'.repeat(1 << 20))"], opts(dir))
    expect(result.truncated).toBe(true)
    expect(Buffer.byteLength(result.output)).toBe(64 * 1024)
    expect(result.output).toBe("x".repeat(64 * 1024))
  })

  it("kills a process that keeps writing past the cap", async () => {
    const dir = makeTempDir(teardown)
    const script = "const b = 'y'.repeat(65536); setInterval(() => process.stdout.write(b), 1)"
    const result = await runLocal([NODE, "-e", script], opts(dir, { maxOutputBytes: 1000, timeoutMs: 20_000 }))
    expect(result).toMatchObject({ truncated: true, timedOut: false, exitCode: null })
    expect(result.output).toBe("y".repeat(1000))
    expect(result.durationMs).toBeLessThan(10_000)
  })

  it("gives the child only PATH, LANG and HOME=cwd", async () => {
    const dir = makeTempDir(teardown)
    process.env.GROQ_API_KEY = "gsk_test_must_not_leak"
    process.env.VIVARIUM_TOKEN = "token-must-not-leak"
    const result = await runLocal([NODE, "-e", "console.log(JSON.stringify(process.env))"], opts(dir))
    expect(result.exitCode).toBe(0)
    const env = JSON.parse(result.output) as Record<string, string>
    expect(env.GROQ_API_KEY).toBeUndefined()
    expect(env.VIVARIUM_TOKEN).toBeUndefined()
    expect(env.HOME).toBe(dir)
    expect(env.LANG).toBe("C.UTF-8")
    expect(env.PATH).toBe(process.env.PATH)
    expect(Object.keys(env).sort()).toEqual(["HOME", "LANG", "PATH"])
    expect(result.output).not.toContain("must_not_leak")
  })

  it("kills the process when the signal aborts", async () => {
    const dir = makeTempDir(teardown)
    const controller = new AbortController()
    const running = runLocal([NODE, "-e", "setTimeout(() => {}, 60000)"], opts(dir, { signal: controller.signal }))
    controller.abort()
    const result = await running
    expect(result).toMatchObject({ aborted: true, timedOut: false, exitCode: null })
    expect(result.durationMs).toBeLessThan(10_000)
  })

  it("does not start anything when the signal is already aborted", async () => {
    const dir = makeTempDir(teardown)
    const marker = join(dir, "started")
    const result = await runLocal(
      [NODE, "-e", `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`],
      opts(dir, { signal: AbortSignal.abort() }),
    )
    expect(result).toMatchObject({ aborted: true, exitCode: null, output: "" })
    expect(nodeRealpath(marker)).toBeUndefined()
  })

  it("reports a program that cannot be started", async () => {
    const dir = makeTempDir(teardown)
    const result = await runLocal(["vivarium-no-such-program"], opts(dir))
    expect(result.exitCode).toBeNull()
    expect(result.error).toMatch(/ENOENT/)
    expect(result.output).toMatch(/failed to start/)
  })

  it("rejects an empty argv", async () => {
    await expect(runLocal([], opts("/"))).rejects.toThrow(TypeError)
  })
})

describe("nodeRealpath", () => {
  it("resolves existing paths and returns undefined for missing ones", () => {
    const dir = makeTempDir(teardown)
    writeFileSync(join(dir, "a.txt"), "a")
    expect(nodeRealpath(join(dir, "a.txt"))).toBe(join(realpathSync(dir), "a.txt"))
    expect(nodeRealpath(join(dir, "missing"))).toBeUndefined()
    expect(nodeRealpath(join(dir, "a.txt", "below-a-file"))).toBeUndefined()
  })
})

describe("checkLocalCommand with the real filesystem, then runLocal", () => {
  it("refuses a symlink in the jail that points to /etc, and runs an allowed command", async () => {
    const dir = makeTempDir(teardown)
    writeFileSync(join(dir, "notes.txt"), "hello from the jail\n")
    symlinkSync("/etc", join(dir, "etc-link"))
    symlinkSync(join(dir, "notes.txt"), join(dir, "notes-link"))
    const jail = { root: dir, realpath: nodeRealpath }

    for (const command of ["ls etc-link", "cat etc-link/hostname", "cat etc-link/../etc/passwd", "rg root etc-link"]) {
      expect(checkLocalCommand(command, DEFAULT_LOCAL_POLICY, jail)).toMatchObject({ ok: false, rule: "path_escape" })
    }

    // Also with the JS fs.realpathSync, which resolves "etc-link/.." lexically.
    const jsRealpath = (p: string) => {
      try {
        return realpathSync(p)
      } catch {
        return undefined
      }
    }
    expect(jsRealpath(join(dir, "etc-link/../etc/passwd"))).toBeUndefined()
    expect(
      checkLocalCommand("cat etc-link/../etc/passwd", DEFAULT_LOCAL_POLICY, { root: dir, realpath: jsRealpath }),
    ).toMatchObject({ ok: false, rule: "path_escape" })

    const verdict = checkLocalCommand("cat notes-link", DEFAULT_LOCAL_POLICY, jail)
    expect(verdict).toEqual({ ok: true, argv: ["cat", "notes-link"] })
    if (!verdict.ok) return
    const result = await runLocal(verdict.argv, {
      cwd: dir,
      timeoutMs: DEFAULT_LOCAL_POLICY.timeoutMs,
      maxOutputBytes: DEFAULT_LOCAL_POLICY.maxOutputBytes,
    })
    expect(result).toMatchObject({ exitCode: 0, output: "hello from the jail\n" })
  })
})

const hasGit = spawnSync("git", ["--version"]).status === 0

describe.skipIf(!hasGit)("git in a jail nested inside another repository", () => {
  it("does not discover the outer repository once hardened", async () => {
    const outer = makeTempDir(teardown)
    expect(spawnSync("git", ["init", "-q", outer]).status).toBe(0)
    writeFileSync(join(outer, "outside-the-jail.txt"), "x")
    const dir = join(outer, "jail")
    mkdirSync(dir)
    const jail = { root: dir, realpath: nodeRealpath }
    const run = (argv: string[]) =>
      runLocal(argv, { cwd: dir, timeoutMs: DEFAULT_LOCAL_POLICY.timeoutMs, maxOutputBytes: DEFAULT_LOCAL_POLICY.maxOutputBytes })

    const verdict = checkLocalCommand("git status --short", DEFAULT_LOCAL_POLICY, jail)
    expect(verdict).toEqual({ ok: true, argv: ["git", "status", "--short"] })
    if (!verdict.ok) return
    // Plain argv: git walks up and reports a file outside the jail.
    expect((await run(verdict.argv)).output).toContain("outside-the-jail.txt")
    // Hardened: the jail has no repository of its own.
    const hardened = await run(hardenedArgv(verdict.argv, dir))
    expect(hardened.exitCode).not.toBe(0)
    expect(hardened.output).toMatch(/not a git repository/)
    expect(hardened.output).not.toContain("outside-the-jail.txt")

    // A repository of the jail's own works as usual.
    expect(spawnSync("git", ["init", "-q", dir]).status).toBe(0)
    writeFileSync(join(dir, "inside.txt"), "x")
    const own = await run(hardenedArgv(verdict.argv, dir))
    expect(own).toMatchObject({ exitCode: 0, output: "?? inside.txt\n" })
  })
})
