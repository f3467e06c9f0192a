/** The audit concept's public face: what the views, the CLI, the relay and the worker use. */
export type { ChainReport } from "./audit.ts"
export type { AuditLog } from "./auditLog.ts"
export { verifyAuthorityRecords, verifyPeerAudit, verifyWorkspaceAudit } from "./auditVerify.ts"
export { authorizeAuditChange } from "./authority.ts"
export { auditNoise } from "./noise.ts"
