/** The audit concept's public face: what the views, the CLI, the relay and the worker use. */
export type { ChainReport } from "./audit.ts"
export { auditEntries, type AuditLog } from "./auditLog.ts"
export { addDueAuditSegments } from "./addSegments.ts"
export { auditPage, type AuditPage } from "./auditPage.ts"
export { auditSegments } from "./segments.ts"
export { verifyAuthorityRecords, verifyPeerAudit, verifyWorkspaceAudit } from "./auditVerify.ts"
export { authorizeAuditChange } from "./authority.ts"
export { auditNoise } from "./noise.ts"
