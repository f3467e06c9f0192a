/**
 * Validated reads of the social documents, entry by entry (see src/core/validate.ts):
 * a bad entry is reported with document and path and left out; the rest stays usable.
 * A document of the wrong kind or version throws InvalidDocumentError.
 */
import {
  AuditEntry,
  Bounty,
  OneTimeTask,
  CollabRequest,
  Skill,
  Proposal,
  ImprovementLoop,
  Guild,
  JoinRequest,
  JournalReview,
  Dispute,
  ArtifactEntry,
  ArtifactIdentity,
  ArtifactVersion,
  HatRecord,
  Identity,
  JournalEntry,
  MailMessage,
  LedgerEntry,
  LedgerCheckpointRef,
  LedgerSegment,
  Message,
  QuestDoc,
  QuestIndexEntry,
  ResidentLease,
  RoomEntry,
  type DocumentKind,
} from "../../schemas/index.ts"
import { segmentMaps } from "../domain/wallets/days.ts"
import { assertDocumentKind, validateEntries, validateList, validateValue, type DataIssue } from "../core/validate.ts"

type Raw = Record<string, unknown>

function checked(kind: DocumentKind, value: unknown, label: string): Raw {
  assertDocumentKind(kind, value, label)
  return value as Raw
}

export const readIdentities = (value: unknown, label: string, issues: DataIssue[]) =>
  validateEntries(Identity, checked("identities", value, label).identities, label, ["identities"], issues, "id")

/** Who plays each resident (the relay's leases); absent in documents from before leases existed. */
export const readResidentLeases = (value: unknown, label: string, issues: DataIssue[]) => {
  const leases = checked("identities", value, label).leases
  return leases === undefined ? new Map<string, ResidentLease>() : validateEntries(ResidentLease, leases, label, ["leases"], issues)
}

/** A ledger segment's entries by key, from its flat map and its day maps (src/domain/wallets/days.ts: the first copy of a key wins). */
export const readLedger = (value: unknown, label: string, issues: DataIssue[]) => {
  const out = new Map<string, LedgerEntry>()
  for (const [path, map] of segmentMaps(checked("wallets", value, label)))
    for (const [key, entry] of validateEntries(LedgerEntry, map, label, path, issues, "key")) if (!out.has(key)) out.set(key, entry)
  return out
}

/** The ledger's segments and checkpoints, by period. */
export const readLedgerIndex = (value: unknown, label: string, issues: DataIssue[]) => {
  const doc = checked("ledger", value, label)
  return {
    segments: validateEntries(LedgerSegment, doc.segments, label, ["segments"], issues, "period"),
    checkpoints: validateEntries(LedgerCheckpointRef, doc.checkpoints, label, ["checkpoints"], issues, "period"),
  }
}

export const readRoomIndex = (value: unknown, label: string, issues: DataIssue[]) =>
  validateEntries(RoomEntry, checked("rooms", value, label).rooms, label, ["rooms"], issues, "id")

export const readRoomMessages = (value: unknown, label: string, issues: DataIssue[]) =>
  validateList(Message, checked("room", value, label).messages, label, ["messages"], issues)

export const readQuestIndex = (value: unknown, label: string, issues: DataIssue[]) =>
  validateEntries(QuestIndexEntry, checked("quests", value, label).quests, label, ["quests"], issues, "id")

/** A quest is one record: any invalid field makes the whole quest unreadable (reported). */
export const readQuest = (value: unknown, label: string, issues: DataIssue[]) => validateValue(QuestDoc, checked("quest", value, label), label, [], issues)

export const readBounties = (value: unknown, label: string, issues: DataIssue[]) =>
  validateEntries(Bounty, checked("bounties", value, label).bounties, label, ["bounties"], issues, "id")

/** The one-time task catalogue (none in a bounties document from before it). */
export const readOneTimeTasks = (value: unknown, label: string, issues: DataIssue[]) =>
  validateEntries(OneTimeTask, checked("bounties", value, label).onetime ?? {}, label, ["onetime"], issues, "id")

export const readSkills = (value: unknown, label: string, issues: DataIssue[]) =>
  validateEntries(Skill, checked("skills", value, label).skills, label, ["skills"], issues, "id")

/** The hats operators added or edited (none in a skills document made before hats were editable). */
export const readHatRecords = (value: unknown, label: string, issues: DataIssue[]) =>
  validateEntries(HatRecord, checked("skills", value, label).hats ?? {}, label, ["hats"], issues, "id")

export const readProposals = (value: unknown, label: string, issues: DataIssue[]) =>
  validateEntries(Proposal, checked("proposals", value, label).proposals, label, ["proposals"], issues, "id")

export const readLoops = (value: unknown, label: string, issues: DataIssue[]) =>
  validateEntries(ImprovementLoop, checked("proposals", value, label).loops, label, ["loops"], issues, "id")

export const readGuilds = (value: unknown, label: string, issues: DataIssue[]) =>
  validateEntries(Guild, checked("community", value, label).guilds, label, ["guilds"], issues, "id")

export const readJoinRequests = (value: unknown, label: string, issues: DataIssue[]) =>
  validateEntries(JoinRequest, checked("community", value, label).requests, label, ["requests"], issues, "id")

export const readJournalReviews = (value: unknown, label: string, issues: DataIssue[]) =>
  validateEntries(JournalReview, checked("community", value, label).reviews, label, ["reviews"], issues, "id")

export const readDisputes = (value: unknown, label: string, issues: DataIssue[]) =>
  validateEntries(Dispute, checked("community", value, label).disputes, label, ["disputes"], issues, "id")

export const readArtifactIndex = (value: unknown, label: string, issues: DataIssue[]) =>
  validateEntries(ArtifactEntry, checked("artifacts", value, label).artifacts, label, ["artifacts"], issues, "id")

/**
 * An artifact's document: its identity (undefined, reported, when invalid) and its versions in
 * order; a version out of place (not numbered one more than the one before) is reported and left out.
 */
export const readArtifact = (value: unknown, label: string, issues: DataIssue[]) => {
  const doc = checked("artifact", value, label)
  const identity = validateValue(ArtifactIdentity, doc, label, [], issues)
  const versions: ArtifactVersion[] = []
  for (const v of validateList(ArtifactVersion, doc.versions, label, ["versions"], issues))
    if (v.version === versions.length + 1) versions.push(v)
    else issues.push({ doc: label, path: `versions`, message: `version ${v.version} is out of place after version ${versions.length}: left out` })
  return { identity, versions }
}

export const readMailbox = (value: unknown, label: string, issues: DataIssue[]) =>
  validateEntries(MailMessage, checked("mailbox", value, label).messages, label, ["messages"], issues, "id")
export const readCollabRequests = (value: unknown, label: string, issues: DataIssue[]) =>
  validateEntries(CollabRequest, checked("mailbox", value, label).requests ?? {}, label, ["requests"], issues, "id")

export const readJournalEntries = (value: unknown, label: string, issues: DataIssue[]) =>
  validateList(JournalEntry, checked("journal", value, label).entries, label, ["entries"], issues)

export const readAuditEntries = (value: unknown, label: string, issues: DataIssue[]) =>
  validateList(AuditEntry, checked("audit", value, label).entries, label, ["entries"], issues)
