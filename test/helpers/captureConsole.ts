/** Captures console.log / console.error (what the CLI prints) while running code in-process. */
import { format } from "node:util"
import { vi } from "vitest"

export interface Captured<T> {
  value: T
  stdout: string
  stderr: string
}

export async function captureConsole<T>(fn: () => Promise<T> | T): Promise<Captured<T>> {
  let stdout = ""
  let stderr = ""
  const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void (stdout += format(...args) + "\n"))
  const error = vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void (stderr += format(...args) + "\n"))
  try {
    const value = await fn()
    return { value, stdout, stderr }
  } finally {
    log.mockRestore()
    error.mockRestore()
  }
}
