import { describe, expect, it } from "vitest"
import { runCli, runMain } from "../helpers/cli.ts"

const REQUEST = "Please design the export format, then implement the exporter and the importer; review both for tampering, and finally document the file layout. Don't change the audit format."

describe("vivarium plan preview", () => {
  it("shows the steps a compound request becomes, with facets, hats and order, from the built CLI with no key", async () => {
    const run = await runCli(["plan", "preview", "--request", REQUEST], { env: { GROQ_API_KEY: undefined } })
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    expect(run.stdout.split("\n")).toEqual(expect.arrayContaining([
      "  1. [strategy, Strategist] Design the export format",
      "  2. [build, Builder] Implement the exporter and the importer (after 1)",
      "  3. [review, Reviewer] Review both for tampering (after 2)",
      "  4. [document, Documenter] Document the file layout (after 2)",
      "not: change the audit format",
    ]))
  })

  it("--json gives the same preview as data, and a simple request stays one task with the reason", async () => {
    const json = await runMain(["plan", "preview", "--request", REQUEST, "--json"])
    expect(json.value).toBe(0)
    const preview = JSON.parse(json.stdout) as { steps: { facet: string; dependsOn: number[] }[] }
    expect(preview.steps.map(s => [s.facet, s.dependsOn])).toEqual([["strategy", []], ["build", [0]], ["review", [1]], ["document", [1]]])
    const simple = await runMain(["plan", "preview", "--request", "Summarize the build log"])
    expect(simple.stdout).toContain("not planned: it reads as one piece of work (0 of the 2 signals needed)")
    const forced = await runMain(["plan", "preview", "--request", "Outline the backup policy. Then test a restore on the spare box", "--force"])
    expect(forced.stdout).toContain("  2. [review, Reviewer] Test a restore on the spare box (after 1)")
  })

  it("refuses a missing or too short request with the rule", async () => {
    const missing = await runMain(["plan", "preview"])
    expect(missing.value).toBe(2)
    expect(missing.stderr).toContain("plan preview: --request: the request to plan is required")
    const short = await runMain(["plan", "preview", "--request", "go"])
    expect(short.stderr).toContain("needs at least 8 characters")
  })
})
