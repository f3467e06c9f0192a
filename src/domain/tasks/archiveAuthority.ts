/** Archive documents are written by the relay's archiver only (copy first, delete second). */
import type { Task } from "../../../schemas/index.ts"
import type { Principal } from "../../core/principal.ts"
import { refused, refusePending, type AuthorityContext, type AuthorityVerdict } from "../../core/authority/verdict.ts"

export function authorizeArchivedTaskChange(_before: Task | undefined, _after: Task | undefined, who: Principal, ctx: AuthorityContext): AuthorityVerdict {
  return refusePending(who) ?? refused(`archived task ${ctx.key}: archives are written by the relay only`)
}
