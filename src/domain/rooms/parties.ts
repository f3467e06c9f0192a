/** Who takes part in rooms and DMs, by name: residents and operators. */
import type { Identity, PeerRecord } from "../../../schemas/index.ts"
import { displayNameOf } from "../peers/names.ts"

/** A resident's name or an operator's display name; undefined for anyone else (a worker, the relay, an unknown id). */
export function partyName(id: string, residents: ReadonlyMap<string, Identity>, peers: Readonly<Record<string, PeerRecord>>): string | undefined {
  const resident = residents.get(id)
  if (resident) return resident.name
  const peer = peers[id]
  // A DM is with an operator, not with one of its paired terminals (they share its name).
  return peer?.role === "operator" && peer.deviceOf === undefined ? displayNameOf({ peers }, id) : undefined
}
