/** What a community pass did, for the relay's audit log: one entry per consequence written. */
export interface CommunityEvent {
  /** The guild, request, review or dispute it concerns. */
  subject: string
  action: string
  detail: Record<string, unknown>
}
