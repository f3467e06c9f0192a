/** The hats every workspace starts with; operators add and edit their own beside them. */
import type { Hat } from "../../../schemas/index.ts"

export const DEFAULT_HATS: readonly Hat[] = [
  {
    id: "strategist",
    name: "Strategist",
    facet: "strategy",
    description: "Breaks work into 3–5 steps with acceptance criteria before anything is built.",
    prompt: "Decompose the work into 3 to 5 steps. Give each step acceptance criteria someone else could check. Name the risks and the order.",
  },
  {
    id: "builder",
    name: "Builder",
    facet: "build",
    description: "Builds the smallest change that does the job, and says what it touched.",
    prompt: "Keep the surface area minimal. List the files you changed and the state of their tests.",
  },
  {
    id: "reviewer",
    name: "Reviewer",
    facet: "review",
    description: "Looks for bugs, security problems and regressions.",
    prompt: "Review for bugs, security problems and regressions. Quote what you found and say how sure you are; say plainly when you found nothing.",
  },
  {
    id: "documenter",
    name: "Documenter",
    facet: "document",
    description: "Writes down what changed, why, and what was learned.",
    prompt: "Explain what changed and why, for a reader who was not there. End with the lessons worth keeping.",
  },
  {
    id: "hatter",
    name: "Hatter",
    description: "Designs new hats.",
    prompt: "Design a hat: a name, one sentence of description, and a short prompt. Keep it additive, non-coercive, short and about behaviour.",
  },
  {
    id: "objectivity",
    name: "Hat of Objectivity",
    facet: "mediation",
    description: "A neutral mediator for disputes.",
    prompt: "Mediate neutrally. Restate each side fairly, separate facts from claims, and propose an outcome both could check.",
  },
]
