/**
 * The workspace the relay serves: opened, or created on the first start, brought up to the
 * current documents, and its authority (owner and relay keys) pinned once.
 */
import { randomUUID } from "node:crypto"
import type { AutomergeUrl, Repo } from "@automerge/automerge-repo"
import { SCHEMA_VERSION, Task, type ArchiveDoc, type BountiesDoc, type IdentitiesDoc, type MailboxDoc, type ProposalsDoc, type CommunityDoc, type ArtifactsDoc, type RootDoc, type SkillsDoc } from "../schemas/index.ts"
import { totalSpend } from "../src/domain/tasks/index.ts"
import { validateEntries } from "../src/core/validate.ts"
import { fileAnchorPins } from "../src/peer/anchorPins.ts"
import { createWorkspace } from "../src/workspace/createWorkspace.ts"
import { writePeerRecord, type PeerIdentity } from "../src/domain/peers/index.ts"
import { Workspace } from "../src/workspace/workspace.ts"
import { readWorkspacePointer, writeWorkspacePointer, type DataDirPaths, type WorkspacePointer } from "./dataDir.ts"

export interface OpenedWorkspace {
  workspace: Workspace
  pointer: WorkspacePointer
  /** False on the start that created it. */
  existedBefore: boolean
}

/** Opens the workspace DATA/workspace.json points at, creating it first when there is none. */
export async function openRelayWorkspace(
  repo: Repo,
  paths: DataDirPaths,
  opts: { name?: string; owner: PeerIdentity; relay: PeerIdentity; log: (line: string) => void },
): Promise<OpenedWorkspace> {
  let pointer = readWorkspacePointer(paths)
  const existedBefore = !!pointer
  if (!pointer) {
    const now = Date.now()
    const workspaceId = randomUUID()
    const root = createWorkspace(repo, { name: opts.name ?? "Vivarium", workspaceId, createdBy: "relay", now })
    await repo.flush()
    pointer = { rootUrl: root.url, workspaceId, createdAt: now }
    writeWorkspacePointer(paths, pointer)
  }
  const workspace = await Workspace.open(repo, pointer.rootUrl as AutomergeUrl, { anchors: fileAnchorPins(paths.dir) })
  await upgradeWorkspace(repo, workspace)
  anchorAuthority(repo, workspace, opts.owner, opts.relay, opts.log)
  return { workspace, pointer, existedBefore }
}

/** What everyone sees for the owner: the key in the relay's data directory, used by the CLI on its machine. */
export const OWNER_DISPLAY_NAME = "Owner"

/**
 * Registers the relay and the owner (an approved operator) and pins both keys in
 * `root.authority`, once: at creation, or on the first start of an older workspace. A
 * workspace whose authority is already pinned keeps it; another local operator starting the
 * relay later is told it is not the owner.
 */
function anchorAuthority(repo: Repo, workspace: Workspace, owner: PeerIdentity, relay: PeerIdentity, log: (line: string) => void): void {
  const root = workspace.rootHandle
  const now = Date.now()
  const pinned = workspace.root.authority
  if (!pinned) {
    const taken = Object.hasOwn(workspace.root.peers, owner.name) ? workspace.root.peers[owner.name] : undefined
    if (taken && taken.publicKey !== owner.publicKeyHex)
      throw new Error(`cannot make ${owner.name} the workspace owner: that name is registered with another key here; start the relay with the data directory that holds its key (owner-identity/)`)
    // The anchors come first: readers judge the registrations below by them.
    root.change((d: RootDoc) => {
      d.authority = { owner: { name: owner.name, publicKey: owner.publicKeyHex }, relay: { name: relay.name, publicKey: relay.publicKeyHex } }
    })
  }
  writePeerRecord(repo, root, { name: relay.name, role: "relay", publicKey: relay.publicKeyHex, state: "approved" }, now)
  if (pinned) {
    if (pinned.owner.name !== owner.name || pinned.owner.publicKey !== owner.publicKeyHex)
      log(`the workspace owner is ${pinned.owner.name}; ${owner.name} starts this relay as an ordinary operator`)
    return
  }
  writePeerRecord(repo, root, { name: owner.name, role: "operator", publicKey: owner.publicKeyHex, state: "approved", displayName: OWNER_DISPLAY_NAME, decidedBy: relay.name, decidedAt: now }, now)
}

/**
 * Brings a workspace created by an older version up to the current documents. Only the relay
 * does this, so no two peers create the same map concurrently (one of them would be lost).
 */
async function upgradeWorkspace(repo: Repo, workspace: Workspace): Promise<void> {
  if (!workspace.root.docs.mailbox) {
    const mailbox = repo.create<MailboxDoc>({ schemaVersion: SCHEMA_VERSION, kind: "mailbox", messages: {}, requests: {} })
    workspace.rootHandle.change((d: RootDoc) => {
      d.docs.mailbox = mailbox.url
    })
  } else {
    const mailbox = await repo.find<MailboxDoc>(workspace.root.docs.mailbox as AutomergeUrl)
    if (!mailbox.doc().requests)
      mailbox.change(d => {
        d.requests ??= {}
      })
  }
  if (!workspace.root.docs.skills) {
    const skills = repo.create<SkillsDoc>({ schemaVersion: SCHEMA_VERSION, kind: "skills", skills: {}, hats: {} })
    workspace.rootHandle.change((d: RootDoc) => {
      d.docs.skills = skills.url
    })
  } else {
    const skills = await repo.find<SkillsDoc>(workspace.root.docs.skills as AutomergeUrl)
    if (!skills.doc().hats)
      skills.change(d => {
        d.hats ??= {}
      })
  }
  const bounties = await repo.find<BountiesDoc>(workspace.root.docs.bounties as AutomergeUrl)
  if (!bounties.doc().onetime)
    bounties.change(d => {
      d.onetime ??= {}
    })
  if (!workspace.root.docs.proposals) {
    const proposals = repo.create<ProposalsDoc>({ schemaVersion: SCHEMA_VERSION, kind: "proposals", proposals: {}, loops: {} })
    workspace.rootHandle.change((d: RootDoc) => {
      d.docs.proposals = proposals.url
    })
  }
  if (!workspace.root.docs.community) {
    const community = repo.create<CommunityDoc>({ schemaVersion: SCHEMA_VERSION, kind: "community", guilds: {}, requests: {}, reviews: {}, disputes: {} })
    workspace.rootHandle.change((d: RootDoc) => {
      d.docs.community = community.url
    })
  }
  if (!workspace.root.docs.artifacts) {
    const artifacts = repo.create<ArtifactsDoc>({ schemaVersion: SCHEMA_VERSION, kind: "artifacts", artifacts: {} })
    workspace.rootHandle.change((d: RootDoc) => {
      d.docs.artifacts = artifacts.url
    })
  }
  if (workspace.queueHandle.doc().archivedSpendUsd === undefined) {
    // Archives from before the queue carried their spend: counted once, validated task by task.
    let archivedSpendUsd = 0
    for (const url of Object.values(workspace.root.docs.archives)) {
      const archive = await repo.find<ArchiveDoc>(url as AutomergeUrl)
      archivedSpendUsd += totalSpend(validateEntries(Task, archive.doc().tasks, `archive ${url}`, ["tasks"], [], "id").values())
    }
    workspace.queueHandle.change(d => {
      d.archivedSpendUsd ??= archivedSpendUsd
    })
  }
  const identities = await repo.find<IdentitiesDoc>(workspace.root.docs.identities as AutomergeUrl)
  const doc = identities.doc()
  if (!doc.seedsUsed || !doc.leases)
    identities.change(d => {
      d.seedsUsed ??= {}
      d.leases ??= {}
    })
}
