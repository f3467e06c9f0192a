/**
 * The relay's data directory: the join secret, the workspace pointer and the Automerge
 * storage. Files holding secrets are written with mode 0600.
 */
import { randomBytes } from "node:crypto"
import { existsSync, mkdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { z } from "zod"
import { DocUrl, Timestamp } from "../schemas/index.ts"
import { writeFileAtomic } from "../src/peer/files.ts"

export const WorkspacePointer = z.object({ rootUrl: DocUrl, workspaceId: z.string(), createdAt: Timestamp })
export type WorkspacePointer = z.infer<typeof WorkspacePointer>

/** The owner's name when the relay makes the owner's key itself (what `vivarium start` does). */
export const DEFAULT_OWNER_NAME = "owner"

export interface DataDirPaths {
  dir: string
  secret: string
  workspace: string
  storage: string
  /** The owner's key (0600): whoever can read it acts as the owner, as the CLI on the relay's machine does. */
  ownerIdentity: string
}

export function dataDirPaths(dir: string): DataDirPaths {
  return {
    dir,
    secret: join(dir, "join-secret"),
    workspace: join(dir, "workspace.json"),
    storage: join(dir, "automerge"),
    ownerIdentity: join(dir, "owner-identity"),
  }
}

export function ensureDataDir(dir: string): DataDirPaths {
  const paths = dataDirPaths(dir)
  mkdirSync(paths.storage, { recursive: true, mode: 0o700 })
  return paths
}

/** Reads the join secret, creating a random one on first start. */
export function loadOrCreateSecret(paths: DataDirPaths): string {
  if (existsSync(paths.secret)) {
    const secret = readFileSync(paths.secret, "utf8").trim()
    if (secret.length < 16) throw new Error(`${paths.secret} holds no usable secret; delete it to make a new one`)
    return secret
  }
  // Hex, not base64url: a secret starting with "-" reads as a flag in `--token SECRET`.
  return keepSecret(paths, randomBytes(24).toString("hex"))
}

/** Keeps `secret` as this data dir's join secret (a follower keeps its primary's, for the CLI next to it). */
export function keepSecret(paths: DataDirPaths, secret: string): string {
  writeFileAtomic(paths.secret, `${secret}\n`, 0o600)
  return secret
}

export function readWorkspacePointer(paths: DataDirPaths): WorkspacePointer | undefined {
  if (!existsSync(paths.workspace)) return undefined
  const parsed = WorkspacePointer.safeParse(JSON.parse(readFileSync(paths.workspace, "utf8")))
  if (!parsed.success) throw new Error(`${paths.workspace} is damaged: ${parsed.error.issues[0]?.message}`)
  return parsed.data
}

export function writeWorkspacePointer(paths: DataDirPaths, pointer: WorkspacePointer): void {
  writeFileAtomic(paths.workspace, JSON.stringify(pointer, null, 2) + "\n")
}

/** Where the relay of this data dir listens, so local CLI commands find it without flags. */
export const RelayAddress = z.object({
  host: z.string(),
  port: z.number().int(),
  pid: z.number().int(),
  startedAt: Timestamp,
  /** With --lan: the HTTPS addresses other LAN devices open (no secret in them). */
  lanUrls: z.array(z.string().url()).optional(),
})
export type RelayAddress = z.infer<typeof RelayAddress>

/** The host a command on this machine dials for `address` (a wildcard listener is reached on loopback). */
export function localRelayHost(address: RelayAddress): string {
  return address.host === "0.0.0.0" || address.host === "::" ? "127.0.0.1" : address.host
}

export function writeRelayAddress(dir: string, address: RelayAddress): void {
  writeFileAtomic(join(dir, "relay.json"), JSON.stringify(address, null, 2) + "\n")
}

export function readRelayAddress(dir: string): RelayAddress | undefined {
  const path = join(dir, "relay.json")
  if (!existsSync(path)) return undefined
  const parsed = RelayAddress.safeParse(JSON.parse(readFileSync(path, "utf8")))
  return parsed.success ? parsed.data : undefined
}

export function readSecret(dir: string): string | undefined {
  const path = dataDirPaths(dir).secret
  return existsSync(path) ? readFileSync(path, "utf8").trim() : undefined
}
