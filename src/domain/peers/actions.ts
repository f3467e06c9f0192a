/**
 * What an operator decides about the workspace's peers and its runtime controls (the root
 * document), signed into the operator's audit log: approving and revoking peers (an operator's
 * own paired devices among them), the kill switch, the spend cap and the task defaults. Who
 * may change what is in authority.ts.
 */
import { z } from "zod"
import { LIMITS, MAX_PEER_DECISIONS, ModelChoice, Usd, type PeerRecord, type RootDoc } from "../../../schemas/index.ts"
import { deviceDecisionText, peerDecisionText, signRecord } from "../../core/signedRecords.ts"
import { OperatorActionError, parseInput, type OperatorContext } from "../../workspace/actionContext.ts"

/** The text a decision on `record` is signed over: a device's decision names its operator. */
function decisionText(record: PeerRecord, state: "approved" | "revoked", decidedBy: string, decidedAt: number): string {
  const fields = { publicKey: record.publicKey, state, decidedBy, decidedAt }
  if (record.deviceOf !== undefined) return deviceDecisionText({ device: record.name, operator: record.deviceOf, ...fields })
  return peerDecisionText({ peer: record.name, role: record.role, ...fields })
}

/**
 * Approves or revokes a peer, with a signed decision the chain of authority reads: an
 * operator decides on workers and on its own devices, only the owner on operators. `role`
 * names which kind of peer the caller means (`vivarium worker approve` vs `vivarium operator approve`).
 */
export async function decidePeer(ctx: OperatorContext, name: string, state: "approved" | "revoked", role?: "worker" | "operator" | "mirror"): Promise<void> {
  const record = ctx.workspace.root.peers[name]
  const decidable = record && (role ? record.role === role : record.role !== "relay")
  if (!record || !decidable) throw new OperatorActionError("not_found", { thing: role ?? "worker, operator or mirror", id: name })
  const chain = ctx.workspace.authority
  const now = ctx.now ?? Date.now()
  const owner = chain.keyFor(ctx.actor.name, ["owner"], now) !== undefined
  if (record.deviceOf !== undefined) {
    if (record.deviceOf !== ctx.actor.name && !owner) throw new OperatorActionError("terminal_operator_only", { name, operator: record.deviceOf })
  } else if ((record.role === "operator" || record.role === "mirror") && !owner)
    throw new OperatorActionError("owner_only", { owner: chain.anchors?.owner.name ?? "not recorded" })
  const valid = chain.keyFor(name, [record.role], now) === record.publicKey
  if (valid === (state === "approved") && record.state === state) throw new OperatorActionError("already_decided", { role: record.role, name, state })
  const sig = await signRecord(ctx.audit.signer, decisionText(record, state, ctx.actor.name, now))
  ctx.workspace.rootHandle.change((d: RootDoc) => {
    const p = d.peers[name]!
    p.state = state
    p.decidedBy = ctx.actor.name
    p.decidedAt = now
    p.decisions ??= []
    p.decisions.push({ state, publicKey: record.publicKey, by: ctx.actor.name, at: now, sig })
    // The oldest make way; the peer's audit log keeps every decision.
    if (p.decisions.length > MAX_PEER_DECISIONS) p.decisions.splice(0, p.decisions.length - MAX_PEER_DECISIONS)
  })
  await ctx.workspace.verified()
  await ctx.audit.append("peer_decision", name, { state })
}

/**
 * The reason a kill-switch change records, or the catalogue's refusal: a halt needs one.
 * Checked before a halt is queued too (the PWA queues one made before its documents open).
 */
export function killSwitchReason(on: boolean, reason: string): string {
  const text = reason.trim()
  if (on && !text) throw new OperatorActionError("halt_needs_reason")
  if (text.length > LIMITS.reason) throw new OperatorActionError("too_long", { what: "reason", max: LIMITS.reason })
  return text || "resumed"
}

export async function setKillSwitch(ctx: OperatorContext, on: boolean, reason: string): Promise<void> {
  const why = killSwitchReason(on, reason)
  const now = ctx.now ?? Date.now()
  ctx.workspace.rootHandle.change((d: RootDoc) => {
    d.controls.killSwitch = { on, reason: why, setBy: ctx.actor.name, setAt: now }
  })
  await ctx.audit.append("kill_switch", "workspace", { on, reason: why })
}

/** The runtime controls other than the kill switch. */
export const ControlsEdit = z
  .object({
    spendCapUsd: Usd,
    defaultMinBudgetUsd: Usd,
    defaultMaxBudgetUsd: Usd,
    defaultModel: ModelChoice,
    reviewEverything: z.boolean(),
  })
  .partial()
  .strict()
export type ControlsEdit = z.infer<typeof ControlsEdit>

export async function updateControls(ctx: OperatorContext, edit: ControlsEdit): Promise<void> {
  const e = parseInput(ControlsEdit, edit)
  const current = ctx.workspace.root.controls
  const min = e.defaultMinBudgetUsd ?? current.defaultMinBudgetUsd
  const max = e.defaultMaxBudgetUsd ?? current.defaultMaxBudgetUsd
  if (min > max) throw new OperatorActionError("budget_min_above_max", { min, max, defaults: true })
  const changed = Object.fromEntries(Object.entries(e).filter(([k, v]) => v !== undefined && v !== current[k as keyof ControlsEdit]))
  if (!Object.keys(changed).length) return
  ctx.workspace.rootHandle.change((d: RootDoc) => {
    Object.assign(d.controls, changed)
  })
  await ctx.audit.append("controls", "workspace", changed)
}
