/**
 * Health: GET /healthz (503 while the relay cannot save, with why), storage failures and
 * recoveries and damaged chunks logged as they happen, schema problems in the workspace's
 * documents logged and counted.
 */
import type { RelayContext, RelayExtension } from "./extension.ts"
import { isRead, sendJson } from "./http.ts"

export function healthReport(): RelayExtension {
  let ctx: RelayContext | undefined
  let wasFailing = false
  let damagedSeen = 0
  const storageChanged = () => {
    const { storageHealth: health, metrics, log } = ctx!
    metrics.storageFailing = health.failing ? 1 : 0
    metrics.storageWriteFailures = health.failedWrites
    metrics.damagedChunks = health.damaged.length
    if (health.failing && !wasFailing) log(`storage failing: ${health.reasons().join("; ")}; refusing new writes and retrying`)
    if (!health.failing && wasFailing) log("storage works again: pending writes saved")
    wasFailing = health.failing
    for (const warning of health.warnings().slice(damagedSeen)) ctx!.log(warning)
    damagedSeen = health.damaged.length
  }
  const dataChanged = () => {
    const { workspace, metrics, log } = ctx!
    const issues = workspace.issues
    if (issues.length !== metrics.dataIssues) for (const i of issues.slice(0, 10)) log(`data issue: ${i.doc} ${i.path}: ${i.message}`)
    metrics.dataIssues = issues.length
  }
  return {
    name: "health",
    onStart(started) {
      ctx = started
      // Damaged chunks were found while the workspace loaded, before this started.
      storageChanged()
      dataChanged()
      ctx.storageHealth.on("change", storageChanged)
      ctx.workspace.tasks.on("change", dataChanged)
      ctx.workspace.rootHandle.on("change", dataChanged)
    },
    onRequest(req, res, path) {
      if (path !== "/healthz" || !isRead(req)) return false
      const { storageHealth, metrics, startedAt, repo } = ctx!
      // Not ok while the relay cannot save (it refuses writes then); damaged documents are
      // warnings: the relay serves the rest.
      const reasons = storageHealth.reasons()
      const warnings = storageHealth.warnings()
      sendJson(res, reasons.length ? 503 : 200, {
        ok: !reasons.length,
        ...(reasons.length ? { reasons } : {}),
        ...(warnings.length ? { warnings } : {}),
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        peers: metrics.connectedPeers,
        documents: Object.keys(repo.handles).length,
        dataIssues: metrics.dataIssues,
      })
      return true
    },
    onStop() {
      ctx?.storageHealth.off("change", storageChanged)
      ctx?.workspace.tasks.off("change", dataChanged)
      ctx?.workspace.rootHandle.off("change", dataChanged)
    },
  }
}
