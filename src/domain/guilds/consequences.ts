/**
 * What the relay (the system actor) does for guilds: it decides each join request whose round
 * reached its quorum (decideJoin) and, when accepted, adds the applicant to the guild. It is
 * the one writer of decisions, so each request is decided once; a vote merged in later is
 * kept and not counted. Requests are taken oldest first, so of two accepted in one pass for
 * the same resident the older admits it and the newer is rejected (a resident is in one guild).
 */
import type { CommunityEvent } from "../votes/index.ts"
import type { Workspace } from "../../workspace/workspace.ts"
import { storedValue } from "../../workspace/storedValue.ts"
import { openCommunity, readGuildsState } from "./actions.ts"
import { decideJoin } from "./rules.ts"

/** One pass over the undecided join requests; answers what it decided, for the relay's audit log. */
export async function decideJoinRequests(ws: Workspace, now: number): Promise<CommunityEvent[]> {
  if (!ws.root.docs.community) return []
  const handle = await openCommunity(ws)
  const { guilds, requests } = readGuildsState(handle)
  const waiting = [...requests.values()].filter(r => !r.decision).sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1))
  const events: CommunityEvent[] = []
  for (const request of waiting) {
    const decided = decideJoin(request, guilds, now)
    if (!decided) continue
    const { decision, admit } = decided
    const member = { joinedAt: now, request: request.id }
    handle.change(d => {
      d.requests[request.id]!.decision = { ...decision, counted: [...decision.counted], reason: storedValue(decision.reason) }
      if (admit) d.guilds[request.guild]!.members[request.applicant] = { ...member }
    })
    // Later requests in this pass see the new member.
    if (admit) {
      const guild = guilds.get(request.guild)!
      guilds.set(guild.id, { ...guild, members: { ...guild.members, [request.applicant]: member } })
    }
    events.push({
      subject: request.id,
      action: `join_${decision.outcome}`,
      detail: { guild: request.guild, applicant: request.applicant, votes: decision.counted.length, score: decision.score, reason: decision.reason },
    })
  }
  return events
}
