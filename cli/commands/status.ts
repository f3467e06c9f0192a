/** `vivarium status`: queue counts, peers, kill switch and data issues at a glance. */
import { z } from "zod"
import { displayNameOf } from "../../src/domain/peers/index.ts"
import { isOnline } from "../../src/domain/tasks/index.ts"
import { parseFlags } from "../args.ts"
import { CONNECTION_FLAGS, ConnectionInput, withPeer } from "../connection.ts"
import { printIssues } from "./task.ts"
import { workspaceWaits } from "../waits.ts"

const FLAGS = { ...CONNECTION_FLAGS, json: { type: "boolean", default: false } } as const
const Input = ConnectionInput.extend({ json: z.boolean() })

/** Tasks that wait for the same reason, with that reason's whole sentence. */
interface WaitGroup {
  kind: string
  text: string
  tasks: string[]
}

export async function runStatus(argv: string[]): Promise<number> {
  const flags = parseFlags("status", argv, FLAGS, Input)
  const report = await withPeer(flags, async peer => {
    const ws = peer.workspace
    const why = await workspaceWaits(ws)
    const waiting = new Map<string, WaitGroup>()
    for (const task of [...ws.tasks.entries.values()].sort((a, b) => a.createdAt - b.createdAt)) {
      const reason = why(task)
      if (!reason) continue
      const group = waiting.get(reason.text) ?? { kind: reason.kind, text: reason.text, tasks: [] }
      group.tasks.push(task.id)
      waiting.set(reason.text, group)
    }
    const root = ws.root
    const now = Date.now()
    const peers = Object.values(root.peers).map(p => ({
      name: p.name,
      role: p.role,
      state: p.state,
      online: isOnline(p, now),
    }))
    return {
      workspace: root.name,
      queue: ws.countByStatus(),
      waiting: [...waiting.values()],
      duplicateRuns: [...ws.tasks.entries.values()].filter(t => t.duplicateRun).map(t => t.id),
      peers,
      peersOnline: peers.filter(p => p.online).length,
      killSwitch: root.controls.killSwitch,
      /** Who set the kill switch, as people see them. */
      killSwitchBy: displayNameOf(root, root.controls.killSwitch.setBy),
      spendCapUsd: root.controls.spendCapUsd,
      dataIssues: ws.issues,
    }
  })
  if (flags.json) {
    console.log(JSON.stringify(report, null, 2))
    return 0
  }
  printIssues(report.dataIssues)
  const counts = Object.entries(report.queue)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${s} ${n}`)
  const ks = report.killSwitch
  console.log(
    [
      `workspace:   ${report.workspace}`,
      `queue:       ${counts.length ? counts.join(", ") : "empty"}`,
      `peers:       ${report.peersOnline} online of ${report.peers.length} registered` +
        (report.peers.some(p => p.state === "pending") ? ` (${report.peers.filter(p => p.state === "pending").length} awaiting approval)` : ""),
      ...report.waiting.map(w => `waiting:     ${w.tasks.length === 1 ? "1 task" : `${w.tasks.length} tasks`} (${w.tasks.slice(0, 3).join(", ")}${w.tasks.length > 3 ? ", …" : ""}): ${w.text}`),
      ...(report.duplicateRuns.length ? [`ran twice:   ${report.duplicateRuns.join(", ")} (a partition let two workers run them)`] : []),
      `kill switch: ${ks.on ? `ON — ${ks.reason} (by ${report.killSwitchBy} at ${new Date(ks.setAt).toISOString()})` : "off"}`,
    ].join("\n"),
  )
  return 0
}
