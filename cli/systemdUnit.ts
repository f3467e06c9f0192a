/**
 * The systemd unit that runs a relay or a worker as a service: restarted on failure, logging
 * to the journal, stopped with SIGTERM (a relay saves and closes; a worker gives its running
 * leases back) and given time to finish before systemd kills it. Secrets never go into the
 * unit (systemctl shows units to every user): a worker's relay token and model key are read
 * from an environment file only its owner can read.
 */
import { z } from "zod"

export const ServiceRole = z.enum(["relay", "worker"])
export type ServiceRole = z.infer<typeof ServiceRole>

export const ServiceScope = z.enum(["user", "system"])
export type ServiceScope = z.infer<typeof ServiceScope>

/** How long systemd waits after SIGTERM before SIGKILL: a worker gives its leases back well within it. */
export const STOP_TIMEOUT_S = 90

export interface UnitSpec {
  role: ServiceRole
  scope: ServiceScope
  /** Absolute path of the Node binary. */
  node: string
  /** Absolute path of bin/vivarium.js. */
  entry: string
  /** The command's own arguments after `relay` or `worker` (absolute paths). */
  args: string[]
  workingDirectory: string
  /** The environment file holding secrets; absent when the service needs none. */
  environmentFile?: string
  /** The account a system service runs as. */
  user?: string
}

/** The unit's name: `vivarium-relay.service`, `vivarium-worker.service`. */
export function unitName(role: ServiceRole): string {
  return `vivarium-${role}.service`
}

/** The unit file's text. */
export function renderUnit(spec: UnitSpec): string {
  const command = [spec.node, spec.entry, spec.role, ...spec.args].map(quoteArg).join(" ")
  const lines = [
    "[Unit]",
    `Description=Vivarium ${spec.role === "relay" ? "relay (sync, control panel, scheduler)" : "worker peer"}`,
    "Documentation=file://" + spec.workingDirectory + "/docs/OPERATIONS.md",
    "After=network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${command}`,
    `WorkingDirectory=${spec.workingDirectory}`,
    ...(spec.environmentFile ? [`EnvironmentFile=${spec.environmentFile}`] : []),
    ...(spec.scope === "system" && spec.user ? [`User=${spec.user}`] : []),
    "Restart=on-failure",
    "RestartSec=2",
    "KillSignal=SIGTERM",
    "KillMode=mixed",
    `TimeoutStopSec=${STOP_TIMEOUT_S}`,
    "StandardOutput=journal",
    "StandardError=journal",
    `SyslogIdentifier=vivarium-${spec.role}`,
    "NoNewPrivileges=yes",
    "",
    "[Install]",
    `WantedBy=${spec.scope === "user" ? "default.target" : "multi-user.target"}`,
    "",
  ]
  return lines.join("\n")
}

/** The ExecStart words of a unit's text, unquoted: what systemd runs. */
export function execStartOf(unit: string): string[] {
  const line = unit.split("\n").find(l => l.startsWith("ExecStart="))
  if (!line) return []
  return [...line.slice("ExecStart=".length).matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map(m => (m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]!).replace(/%%/g, "%").replace(/\$\$/g, "$"))
}

/** One ExecStart word as systemd reads it back: specifiers and variables escaped, quoted when it holds spaces or quotes. */
function quoteArg(word: string): string {
  const escaped = word.replace(/%/g, "%%").replace(/\$/g, "$$$$")
  return /^[A-Za-z0-9_@%$+=:,./-]+$/.test(escaped) ? escaped : `"${escaped.replace(/(["\\])/g, "\\$1")}"`
}
