/**
 * Who a connection speaks for. The relay binds every WebSocket to one registered Ed25519
 * key at upgrade; every message on that socket is judged as this principal's.
 */
export type PrincipalRole = "pending" | "worker" | "operator" | "owner" | "mirror"

export interface Principal {
  /** The peer's name: its key in `root.peers`. */
  readonly peer: string
  readonly role: PrincipalRole
  /** Raw Ed25519 public key, 64 hex characters. */
  readonly publicKeyHex: string
}

/** Operators and the owner make operator decisions; the owner alone decides about operators. */
export function isOperator(p: Principal): boolean {
  return p.role === "operator" || p.role === "owner"
}
