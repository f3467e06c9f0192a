/**
 * What every action on a workspace shares, whatever its concept (src/domain/<concept>/actions.ts):
 * who acts and where (OperatorContext), how a refusal is thrown (OperatorActionError, nothing
 * written; its sentence and next step come from the catalogue in src/core/errors.ts) and how an
 * action's input is validated. The CLI and the PWA both call the actions,
 * so a decision means the same thing wherever it is made.
 */
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo/slim"
import type { z } from "zod"
import type { Actor } from "../../schemas/index.ts"
import { inputError, UserError, type DetailArgs, type ErrorCode } from "../core/errors.ts"
import type { AuditLog } from "../domain/audit/auditLog.ts"
import type { Workspace } from "./workspace.ts"

/** An action refused: nothing was written. */
export class OperatorActionError<C extends ErrorCode = ErrorCode> extends UserError<C> {
  override readonly name = "OperatorActionError"

  /** A pure rule's refusal (the forge's, a bounty payout's) as the action's. */
  static from<C extends ErrorCode>(error: UserError<C>): OperatorActionError<C> {
    return new OperatorActionError(error.code, ...([error.details] as unknown as DetailArgs<C>))
  }
}

export interface OperatorContext {
  workspace: Workspace
  audit: AuditLog
  actor: Actor
  now?: number
}

/** Chat and document writes need no audit entry; decisions and payouts do (OperatorContext). */
export type SocialContext = Omit<OperatorContext, "audit">

export function openDoc<T>(workspace: Workspace, url: string): Promise<DocHandle<T>> {
  return workspace.repo.find<T>(url as AutomergeUrl)
}

/** Validates an action's input; a refusal names each bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const parsed = schema.safeParse(input)
  if (parsed.success) return parsed.data
  throw OperatorActionError.from(inputError(parsed.error.issues))
}
