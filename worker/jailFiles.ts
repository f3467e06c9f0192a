/**
 * Which files a run created or changed in the worker's jail: the jail is listed before the
 * run and after it, and a file whose size or modification time moved (or that is new) counts.
 * Only regular files under the jail are listed: symbolic links (which could point outside)
 * and hidden entries (".git", a command's dot files) are passed over, and the walk is bounded.
 * Every run of one worker shares its jail: with more than one run at a time, a file another
 * run changed meanwhile is counted too.
 */
import { lstatSync, readdirSync, readFileSync } from "node:fs"
import { join, relative } from "node:path"
import { ARTIFACT_LIMITS } from "../schemas/index.ts"
import type { JailFile } from "../src/domain/artifacts/index.ts"

/** Path (relative to the jail, "/"-separated) → what says it changed. */
export type JailListing = ReadonlyMap<string, { size: number; mtimeMs: number }>

export const JAIL_WALK = {
  /** Entries looked at, at most (a jail holding a whole checkout is not listed to its end). */
  entries: 5_000,
  depth: 8,
  /** Files kept from one run, at most; the rest are named as skipped. */
  files: 10,
} as const

export function listJail(jailDir: string): JailListing {
  const out = new Map<string, { size: number; mtimeMs: number }>()
  let seen = 0
  const walk = (dir: string, depth: number) => {
    let names: string[]
    try {
      names = readdirSync(dir).sort()
    } catch {
      return
    }
    for (const name of names) {
      if (name.startsWith(".") || ++seen > JAIL_WALK.entries) continue
      const full = join(dir, name)
      let stat
      try {
        stat = lstatSync(full)
      } catch {
        continue
      }
      if (stat.isDirectory() && depth < JAIL_WALK.depth) walk(full, depth + 1)
      else if (stat.isFile()) out.set(relative(jailDir, full).split("\\").join("/"), { size: stat.size, mtimeMs: stat.mtimeMs })
    }
  }
  walk(jailDir, 0)
  return out
}

/** Files new or changed between two listings, by path. */
export function changedFiles(before: JailListing, after: JailListing): string[] {
  return [...after]
    .filter(([path, now]) => {
      const was = before.get(path)
      return !was || was.size !== now.size || was.mtimeMs !== now.mtimeMs
    })
    .map(([path]) => path)
    .sort()
}

/**
 * The changed files' contents, at most JAIL_WALK.files of them; the ones past that count, and
 * any larger than an artifact may ever hold, are skipped unread, each with its reason.
 */
export function readChangedFiles(jailDir: string, before: JailListing): { files: JailFile[]; skipped: { path: string; reason: string }[] } {
  const after = listJail(jailDir)
  const paths = changedFiles(before, after)
  const files: JailFile[] = []
  const skipped: { path: string; reason: string }[] = []
  for (const path of paths) {
    const size = after.get(path)!.size
    if (files.length >= JAIL_WALK.files) skipped.push({ path, reason: `only the first ${JAIL_WALK.files} changed files of a run are kept` })
    else if (size > ARTIFACT_LIMITS.binaryBytes) skipped.push({ path, reason: `it is ${Math.ceil(size / 1024)} KiB; an artifact holds at most ${ARTIFACT_LIMITS.binaryBytes / 1024} KiB` })
    else
      try {
        files.push({ path, bytes: readFileSync(join(jailDir, path)) })
      } catch (error) {
        skipped.push({ path, reason: `it could not be read (${(error as Error).message})` })
      }
  }
  return { files, skipped }
}
