/**
 * Stops a Repo's storage writes for good and waits for the ones in flight. automerge-repo
 * throttles saves, so a save can land after `repo.shutdown()` (or a relay's close()) has
 * resolved — after a test already removed the directory, which the write then re-creates.
 * Call `quiet()` after closing, before removing the directory.
 */
import type { Repo } from "@automerge/automerge-repo"

export interface QuietStorage {
  quiet(): Promise<void>
}

const WRITES = ["saveDoc", "saveSyncState", "save", "remove", "removeDoc"] as const

export function trackStorage(repo: Repo): QuietStorage {
  const storage = repo.storageSubsystem
  if (!storage) return { quiet: async () => {} }
  const inFlight = new Set<Promise<unknown>>()
  let stopped = false
  for (const name of WRITES) {
    const original = (storage[name] as (...args: unknown[]) => Promise<unknown>).bind(storage)
    ;(storage as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      if (stopped) return Promise.resolve()
      const write = original(...args)
      inFlight.add(write)
      void write.finally(() => inFlight.delete(write)).catch(() => {})
      return write
    }
  }
  return {
    async quiet() {
      stopped = true
      await Promise.allSettled([...inFlight])
    },
  }
}
