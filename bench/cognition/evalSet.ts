/**
 * The cognition evaluation set: requests with the route a reviewer expects against a fixed
 * library of skills, and the plan a reviewer would accept (the facets of its steps in order,
 * or none when the request should stay one task). Used by `npm run bench -- cognition`.
 */
import type { Facet, Skill } from "../../schemas/index.ts"

function skill(name: string, description: string, template: string, params: string[] = []): Skill {
  return {
    id: `skill-${name}`,
    name,
    description,
    template,
    params: params.map(p => ({ name: p, type: "string", description: p })),
    preconditions: [],
    fromTasks: [],
    state: "approved",
    proposedBy: "relay",
    proposedAt: 0,
    metrics: { uses: 0, successes: 0, costUsd: 0, latencyMs: 0, counted: [] },
  }
}

export const LIBRARY: Skill[] = [
  skill("summarize-changelog", "summarize the changelog of a release for operators", "Summarize the changelog of release {{subject}} in five bullet points for operators.", ["subject"]),
  skill("write-unit-tests", "write unit tests for a module, covering edge cases", "Write unit tests for {{subject}} covering its edge cases and failure modes.", ["subject"]),
  skill("review-pull-request", "review a pull request for bugs, security and style", "Review pull request {{subject}}: list bugs, security problems and style issues.", ["subject"]),
  skill("translate-docs", "translate documentation pages into another language", "Translate the documentation page {{subject}} faithfully, keeping code blocks.", ["subject"]),
  skill("triage-incident", "triage a production incident from its logs", "Triage the incident {{subject}} from its logs: impact, likely cause, next step.", ["subject"]),
]

export interface RouteCase {
  request: string
  /** The skill a reviewer expects, or null for none. */
  expected: string | null
}

export const ROUTE_CASES: RouteCase[] = [
  { request: "Use summarize-changelog for release 4.2", expected: "summarize-changelog" },
  { request: "Summarize the changelog of release 4.3 for operators", expected: "summarize-changelog" },
  { request: "Summarize the changelog of release 4.4 in five bullet points for operators", expected: "summarize-changelog" },
  { request: "write-unit-tests for the ledger module", expected: "write-unit-tests" },
  { request: "Write unit tests for the wallet module covering its edge cases", expected: "write-unit-tests" },
  { request: "Write unit tests for the parser covering edge cases and failure modes", expected: "write-unit-tests" },
  { request: "Review pull request 812 for bugs, security problems and style", expected: "review-pull-request" },
  { request: "review-pull-request 913", expected: "review-pull-request" },
  { request: "Translate the documentation page on pairing, keeping code blocks", expected: "translate-docs" },
  { request: "Triage the incident from last night's logs: impact, likely cause, next step", expected: "triage-incident" },
  { request: "Summarize the release notes of 4.5", expected: "summarize-changelog" },
  { request: "Add tests for the scheduler", expected: "write-unit-tests" },
  { request: "Look at PR 1001 and tell me what is wrong with it", expected: "review-pull-request" },
  { request: "Paint the fence green", expected: null },
  { request: "Book a meeting room for Thursday", expected: null },
  { request: "Draft a welcome message for new operators", expected: null },
  { request: "Compute the average latency of the relay this week", expected: null },
  { request: "Rename the town hall room to plaza", expected: null },
]

export interface PlanCase {
  request: string
  /** The facets of an acceptable plan's steps, in order; null when it should stay one task. */
  facets: Facet[] | null
}

export const PLAN_CASES: PlanCase[] = [
  { request: "Research the caching options, then implement the cache layer, then document how to tune it.", facets: ["strategy", "build", "document"] },
  { request: "Design the export format, then implement the exporter and the importer; review both for tampering, and finally document the file layout.", facets: ["strategy", "build", "review", "document"] },
  { request: "Implement the login page, then write tests for it, and finally update the README.", facets: ["build", "review", "document"] },
  { request: "Plan the database migration, then build the migration script, then verify it on a copy.", facets: ["strategy", "build", "review"] },
  { request: "Fix the crash in the importer, then add a regression test.", facets: ["build", "build"] },
  { request: "Investigate why the relay is slow, then refactor the gate, then summarize what changed.", facets: ["strategy", "build", "document"] },
  { request: "Summarize the build log", facets: null },
  { request: "Fix the typo in the footer", facets: null },
  { request: "Write a haiku about the relay", facets: null },
  { request: "Update the copyright year", facets: null },
]
