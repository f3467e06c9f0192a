/**
 * Which audit entries are routine bookkeeping rather than decisions: the relay's lease grants
 * and expiries (every task run writes them) and resident lease moves. Views hide them by
 * default, say how many are hidden, and show them on request.
 */
import type { AuditKind } from "../../../schemas/index.ts"

const NOISE: ReadonlySet<string> = new Set<AuditKind>(["lease"])

export function auditNoise(kind: string): boolean {
  return NOISE.has(kind)
}
