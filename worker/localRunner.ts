/**
 * Runs one local command (an argv already approved by `checkLocalCommand` in
 * src/core/safety.ts) as a child process: no shell, cwd = the jail, a scrubbed environment,
 * combined stdout+stderr capped in bytes, killed on timeout, on the output cap and on abort.
 *
 * This module is policy-free: it runs whatever argv it is given. Call the safety check first,
 * with `jail.root` equal to `opts.cwd`, and re-check right before running.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { realpathSync } from "node:fs"

export interface RunLocalOptions {
  /** Working directory (the jail root); also the child's HOME. */
  cwd: string
  timeoutMs: number
  maxOutputBytes: number
  signal?: AbortSignal
  /** Each chunk of output as it arrives (only what fits under maxOutputBytes), by stream. */
  onOutput?: (stream: "stdout" | "stderr", chunk: Buffer) => void
}

export interface RunLocalResult {
  /** null when the child was killed by a signal or could not be started. */
  exitCode: number | null
  /** stdout and stderr interleaved in arrival order, at most maxOutputBytes bytes (UTF-8). */
  output: string
  timedOut: boolean
  /** The output reached maxOutputBytes; the child was killed and the rest dropped. */
  truncated: boolean
  aborted: boolean
  durationMs: number
  /** Set when the program could not be started (e.g. "spawn nosuch ENOENT"). */
  error?: string
}

/** Between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 1_000
/** After the child exited, how long grandchildren may keep the output pipes open. */
const PIPE_DRAIN_MS = 500

const IS_POSIX = process.platform !== "win32"

/**
 * The child's whole environment: PATH, LANG and HOME, nothing inherited (no GROQ_API_KEY,
 * no VIVARIUM_TOKEN, no GIT_* variables).
 */
export function scrubbedEnv(cwd: string): Record<string, string> {
  const env: Record<string, string> = { LANG: "C.UTF-8", HOME: cwd }
  const path = process.env.PATH
  if (path !== undefined) env.PATH = path
  return env
}

/**
 * realpath(3) for the safety jail: undefined when the path (or a parent) does not exist.
 * The native variant resolves "link/.." in kernel order; the JS fs.realpathSync normalizes
 * ".." lexically first (the safety check does not rely on either: it resolves per segment).
 */
export function nodeRealpath(p: string): string | undefined {
  try {
    return realpathSync.native(p)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === "ENOENT" || code === "ENOTDIR") return undefined
    throw error
  }
}

/** Signals the child's process group on POSIX (so grandchildren die too), else the child. */
function signalChild(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return
  if (IS_POSIX) {
    try {
      process.kill(-child.pid, signal)
      return
    } catch {
      // The group is gone (or never existed): fall back to the child itself.
    }
  }
  try {
    child.kill(signal)
  } catch {
    // Already gone.
  }
}

/** Children still running, killed if the worker process exits first (they have their own group). */
const live = new Set<ChildProcess>()
let exitHookInstalled = false
function track(child: ChildProcess): void {
  live.add(child)
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once("exit", () => {
    for (const c of live) signalChild(c, "SIGKILL")
  })
}

/** After the run: kill whatever is left of the child's process group (daemonized grandchildren). */
function reapGroup(child: ChildProcess): void {
  live.delete(child)
  if (!IS_POSIX || child.pid === undefined) return
  try {
    process.kill(-child.pid, "SIGKILL")
  } catch {
    // ESRCH: the group is empty, as it should be.
  }
}

export function runLocal(argv: string[], opts: RunLocalOptions): Promise<RunLocalResult> {
  const program = argv[0]
  if (program === undefined || program === "") return Promise.reject(new TypeError("runLocal: empty argv"))
  const started = performance.now()
  const elapsed = () => Math.round(performance.now() - started)

  if (opts.signal?.aborted) {
    return Promise.resolve({
      exitCode: null,
      output: "",
      timedOut: false,
      truncated: false,
      aborted: true,
      durationMs: elapsed(),
    })
  }

  return new Promise(resolve => {
    const chunks: Buffer[] = []
    let bytes = 0
    let timedOut = false
    let truncated = false
    let aborted = false
    let spawnError: string | undefined
    let exitCode: number | null = null
    let settled = false
    let killTimer: NodeJS.Timeout | undefined
    let drainTimer: NodeJS.Timeout | undefined

    const child = spawn(program, argv.slice(1), {
      cwd: opts.cwd,
      env: scrubbedEnv(opts.cwd),
      shell: false,
      stdio: ["ignore", "pipe", "pipe"],
      windowsHide: true,
      // Own process group on POSIX, so a kill reaches the child's own children too.
      detached: IS_POSIX,
    })
    track(child)

    const terminate = () => {
      if (killTimer !== undefined || settled) return
      signalChild(child, "SIGTERM")
      killTimer = setTimeout(() => signalChild(child, "SIGKILL"), KILL_GRACE_MS)
    }

    const keep = (stream: "stdout" | "stderr", chunk: Buffer) => {
      chunks.push(chunk)
      opts.onOutput?.(stream, chunk)
    }
    const onData = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
      if (truncated) return
      const room = opts.maxOutputBytes - bytes
      if (chunk.length > room) {
        if (room > 0) keep(stream, chunk.subarray(0, room))
        bytes += Math.max(room, 0)
        truncated = true
        terminate()
        return
      }
      keep(stream, chunk)
      bytes += chunk.length
    }
    child.stdout?.on("data", onData("stdout"))
    child.stderr?.on("data", onData("stderr"))

    const timeoutTimer = setTimeout(() => {
      timedOut = true
      terminate()
    }, opts.timeoutMs)

    const onAbort = () => {
      aborted = true
      terminate()
    }
    opts.signal?.addEventListener("abort", onAbort, { once: true })

    const finish = () => {
      if (settled) return
      settled = true
      clearTimeout(timeoutTimer)
      clearTimeout(killTimer)
      clearTimeout(drainTimer)
      opts.signal?.removeEventListener("abort", onAbort)
      reapGroup(child)
      const result: RunLocalResult = {
        exitCode,
        output: Buffer.concat(chunks).toString("utf8"),
        timedOut,
        truncated,
        aborted,
        durationMs: elapsed(),
      }
      if (spawnError !== undefined) result.error = spawnError
      resolve(result)
    }

    child.on("error", error => {
      // Only a spawn failure (ENOENT, EACCES, bad cwd) ends the run here; once the child is
      // running, "exit"/"close" do.
      if (child.pid !== undefined) return
      spawnError = error.message
      if (bytes === 0) {
        const text = Buffer.from(`failed to start: ${error.message}`)
        chunks.push(text.subarray(0, Math.max(0, opts.maxOutputBytes)))
        bytes = Math.min(text.length, opts.maxOutputBytes)
      }
      finish()
    })
    child.on("exit", code => {
      exitCode = code
      // A grandchild may still hold the pipes open; do not wait for it forever.
      drainTimer = setTimeout(() => {
        child.stdout?.destroy()
        child.stderr?.destroy()
        finish()
      }, PIPE_DRAIN_MS)
    })
    child.on("close", code => {
      if (code !== null || exitCode === null) exitCode = code
      finish()
    })
  })
}
