import { describe, expect, it } from "vitest"
import { execStartOf, renderUnit, STOP_TIMEOUT_S } from "../../cli/systemdUnit.ts"

const spec = { role: "worker" as const, scope: "user" as const, node: "/usr/bin/node", entry: "/opt/vivarium/bin/vivarium.js", workingDirectory: "/opt/vivarium" }

describe("systemd unit", () => {
  it("restarts on failure, logs to the journal and gives a stopping worker time to hand its leases back", () => {
    const unit = renderUnit({ ...spec, args: ["--data", "/srv/w", "--concurrency", "2"], environmentFile: "/srv/w/worker.service.env" })
    expect(unit).toContain("ExecStart=/usr/bin/node /opt/vivarium/bin/vivarium.js worker --data /srv/w --concurrency 2\n")
    for (const line of ["Restart=on-failure", "KillSignal=SIGTERM", `TimeoutStopSec=${STOP_TIMEOUT_S}`, "StandardError=journal", "EnvironmentFile=/srv/w/worker.service.env", "WantedBy=default.target"])
      expect(unit.split("\n")).toContain(line)
    expect(unit).not.toMatch(/^User=/m)
  })

  it("quotes and escapes each word so systemd runs exactly what was asked: spaces, quotes, % and $", () => {
    const args = ["--data", "/srv/my data", "--name", 'say "hi"', "--residents", "50%$HOME"]
    const unit = renderUnit({ ...spec, scope: "system", user: "vivarium", args })
    expect(unit).toContain('"/srv/my data"')
    expect(unit).toContain("50%%$$HOME")
    expect(execStartOf(unit)).toEqual([spec.node, spec.entry, "worker", ...args])
    expect(unit.split("\n")).toContain("User=vivarium")
    expect(unit.split("\n")).toContain("WantedBy=multi-user.target")
  })
})
