/** Creating a new workspace: the root document and every child document it points to. */
import type { DocHandle, Repo } from "@automerge/automerge-repo/slim"
import {
  CANONICAL_ROOMS,
  SCHEMA_VERSION,
  type BountiesDoc,
  type IdentitiesDoc,
  type MailboxDoc,
  type SkillsDoc,
  type ProposalsDoc,
  type CommunityDoc,
  type ArtifactsDoc,
  type QuestIndexDoc,
  type QueueDoc,
  type RoomDoc,
  type RoomEntry,
  type RoomIndexDoc,
  type RootDoc,
  type WalletsDoc,
  type WorkspaceAuthority,
} from "../../schemas/index.ts"
import { defaultControls } from "../core/defaults.ts"
import { emptyDays } from "../domain/wallets/days.ts"

export interface CreateWorkspaceOptions {
  name: string
  workspaceId: string
  createdBy: string
  now: number
  /** The owner's and the relay's keys: where the chain of authority starts. */
  authority?: WorkspaceAuthority
}

export function createWorkspace(repo: Repo, opts: CreateWorkspaceOptions): DocHandle<RootDoc> {
  const v = SCHEMA_VERSION
  const queue = repo.create<QueueDoc>({ schemaVersion: v, kind: "queue", tasks: {} })
  const identities = repo.create<IdentitiesDoc>({ schemaVersion: v, kind: "identities", identities: {}, seedsUsed: {}, leases: {} })
  const wallets = repo.create<WalletsDoc>({ schemaVersion: v, kind: "wallets", entries: {}, days: emptyDays() })
  const quests = repo.create<QuestIndexDoc>({ schemaVersion: v, kind: "quests", quests: {} })
  const bounties = repo.create<BountiesDoc>({ schemaVersion: v, kind: "bounties", bounties: {}, onetime: {} })
  const mailbox = repo.create<MailboxDoc>({ schemaVersion: v, kind: "mailbox", messages: {}, requests: {} })
  const skills = repo.create<SkillsDoc>({ schemaVersion: v, kind: "skills", skills: {}, hats: {} })
  const proposals = repo.create<ProposalsDoc>({ schemaVersion: v, kind: "proposals", proposals: {}, loops: {} })
  const community = repo.create<CommunityDoc>({ schemaVersion: v, kind: "community", guilds: {}, requests: {}, reviews: {}, disputes: {} })
  const artifacts = repo.create<ArtifactsDoc>({ schemaVersion: v, kind: "artifacts", artifacts: {} })
  const rooms: Record<string, RoomEntry> = {}
  for (const id of CANONICAL_ROOMS) {
    const room = repo.create<RoomDoc>({ schemaVersion: v, kind: "room", roomId: id, messages: [] })
    rooms[id] = { id, kind: "room", title: id, members: [], url: room.url, createdAt: opts.now }
  }
  const roomIndex = repo.create<RoomIndexDoc>({ schemaVersion: v, kind: "rooms", rooms })
  return repo.create<RootDoc>({
    schemaVersion: v,
    kind: "root",
    workspaceId: opts.workspaceId,
    name: opts.name,
    createdAt: opts.now,
    docs: {
      queue: queue.url,
      identities: identities.url,
      wallets: wallets.url,
      rooms: roomIndex.url,
      quests: quests.url,
      bounties: bounties.url,
      mailbox: mailbox.url,
      skills: skills.url,
      proposals: proposals.url,
      community: community.url,
      artifacts: artifacts.url,
      archives: {},
    },
    peers: {},
    controls: defaultControls(opts.createdBy, opts.now),
    ...(opts.authority ? { authority: opts.authority } : {}),
  })
}
