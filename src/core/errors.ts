/**
 * Every refusal a person can meet, in one catalogue: a stable code (for `--json` and tests),
 * a plain sentence saying what is wrong, and the next step. The actions throw a UserError with
 * a code and its details; the CLI prints the sentence and the next step on one line, the panel
 * shows the same two in its notice or next to the form. Pure: no I/O, runs in the browser.
 */
import type { z } from "zod"
import type { SafetyRule } from "./safety.ts"

const list = (items: readonly string[]) => items.join(", ")
/** A state as words: "pending_review" → "pending review". */
const state = (name: string) => name.replace(/_/g, " ")
const states = (names: readonly string[]) => list(names.map(state))
/** "maxBudgetUsd" → "max budget (USD)", "bonus.tokens" → "bonus tokens": a field path as words. */
const words = (path: readonly PropertyKey[]) =>
  path
    .map(p => String(p).replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase())
    .join(" ")
    .replace(/ usd$/, " (USD)")

/** Starts with a capital and ends with a full stop (or the ? or ! it had). */
export function asSentence(text: string): string {
  const trimmed = text.trim()
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1)
  return /[.!?…]$/.test(capital) ? capital : `${capital}.`
}

/** The safety rule's reason, lower-cased where it starts a clause ("Shell operator …" → "shell operator …"). */
const clause = (reason: string) => (/^[A-Z][a-z]/.test(reason) ? reason.charAt(0).toLowerCase() + reason.slice(1) : reason)

const COMMAND_NEXT: Record<SafetyRule, (d: CommandDetails) => string> = {
  shell_syntax: () => "Write one program with its arguments: there is no shell, so no pipes, redirections, variables or wildcards.",
  denied_program: d => `Use one of the allowed programs: ${list(d.programs)}.`,
  not_allowed: d => `Use one of the allowed programs: ${list(d.programs)}.`,
  git_subcommand: d => `Use one of: ${d.gitSubcommands.map(s => `git ${s}`).join(", ")}.`,
  banned_flag: () => "Leave that flag out.",
  path_escape: () => "Use paths inside the working directory, written relative to it.",
  env_assignment: () => "Leave out the NAME=value part: the environment of commands is fixed.",
  empty: () => "Write the command to run.",
  exfiltration: d => `Use one of the allowed programs: ${list(d.programs)}.`,
  destructive: d => `Use one of the allowed programs: ${list(d.programs)}.`,
  prompt_injection: d => `Use one of the allowed programs: ${list(d.programs)}.`,
  sensitive_path: () => "Use paths inside the working directory, written relative to it.",
  network_pipe: () => "Write one program with its arguments: there is no shell and no network.",
}

interface CommandDetails {
  rule: SafetyRule
  reason: string
  programs: readonly string[]
  gitSubcommands: readonly string[]
}

const CHOOSE_ANOTHER_NAME = "Choose a completely different name and forge again."

/**
 * The catalogue. `say` is the sentence (what is wrong, about this case); `next` the step that
 * gets the person going again. Neither shouts: no codes, no capitals for emphasis.
 */
export const ERRORS = {
  // ── input and limits ─────────────────────────────────────────────────────
  invalid_input: {
    say: (d: { problems: readonly string[] }) => asSentence(d.problems.join("; ")),
    next: "Correct it and try again.",
  },
  too_long: {
    say: (d: { what: string; max: number }) => `The ${d.what} is longer than ${d.max} characters.`,
    next: "Shorten it and try again.",
  },
  budget_min_above_max: {
    say: (d: { min: number; max: number; defaults?: boolean }) =>
      `The ${d.defaults ? "default " : ""}minimum budget ($${d.min}) is above the ${d.defaults ? "default " : ""}maximum ($${d.max}).`,
    next: "Lower the minimum or raise the maximum.",
  },
  nothing_to_change: {
    say: (_: { fields: readonly string[] }) => "There is nothing to change.",
    next: (d: { fields: readonly string[] }) => `Fill in at least one of: ${list(d.fields)}.`,
  },

  // ── the worker's safety rules, checked when a task is added or edited ───
  command_not_allowed: {
    say: (d: CommandDetails) => asSentence(`This command is not allowed: ${clause(d.reason)}`),
    next: (d: CommandDetails) => COMMAND_NEXT[d.rule](d),
  },
  prompt_not_allowed: {
    say: (d: { rule: SafetyRule; reason: string }) => asSentence(`This prompt is not allowed. ${d.reason}`),
    next: "Rephrase the task so it asks for the work itself: workers refuse prompts like this one.",
  },

  // ── things that are not there ───────────────────────────────────────────
  not_found: {
    say: (d: { thing: string; id: string; where?: string }) => `There is no ${d.thing} ${d.id}${d.where ? ` in ${d.where}` : ""}.`,
    next: (d: { thing: string }) => `Check the ${d.thing}'s name in its list; one made on another device may not have arrived yet.`,
  },
  unreadable: {
    say: (d: { thing: string; id: string }) => `The ${d.thing} ${d.id} cannot be read: its record is damaged.`,
    next: "The data-issues banner says what is wrong with it.",
  },

  // ── tasks ───────────────────────────────────────────────────────────────
  task_not_found: {
    say: (d: { id: string }) => `There is no task ${d.id} in the live queue.`,
    next: "Check the id in the task list; finished tasks move to the archive after a day.",
  },
  task_wrong_state: {
    say: (d: { id: string; from: string; to: string; moves: readonly string[] }) => `Task ${d.id} is ${state(d.from)}, so it cannot become ${state(d.to)}.`,
    next: (d: { from: string; moves: readonly string[] }) =>
      d.moves.length ? `From ${state(d.from)} an operator can make it ${states(d.moves)}.` : `${asSentence(`${state(d.from)} is final`)} Add a new task to do the work again.`,
  },
  task_moved_by_others: {
    say: (d: { id: string; from: string; to: string; allowed: readonly string[] }) =>
      `Only ${d.allowed.join(" or ")} may move task ${d.id} from ${state(d.from)} to ${state(d.to)}.`,
    next: "Wait for it to happen; an operator cannot make this move.",
  },
  task_not_editable: {
    say: (d: { id: string; status: string }) => `Task ${d.id} is ${state(d.status)}, so it can no longer be edited.`,
    next: "Only queued, requeued or blocked tasks can be edited; cancel it and add a new task instead.",
  },
  task_mode_mismatch: {
    say: (d: { id: string; runs: "command" | "prompt" }) => `Task ${d.id} runs a ${d.runs}, not a ${d.runs === "command" ? "prompt" : "command"}.`,
    next: (d: { runs: "command" | "prompt" }) => `Edit its ${d.runs} instead.`,
  },
  task_depends_on_itself: {
    say: (d: { id: string }) => `Task ${d.id} cannot depend on itself.`,
    next: "Take it out of its own dependencies.",
  },
  unknown_dependency: {
    say: (d: { ids: readonly string[] }) => `This task depends on ${d.ids.length === 1 ? "a task" : "tasks"} not in the live queue: ${list(d.ids)}.`,
    next: "Pick its dependencies from the open tasks.",
  },
  tip_needs_approve: {
    say: () => "A tip and feedback go with an approval only.",
    next: "Approve the task to tip it, or leave the tip and feedback out.",
  },
  task_not_approved: {
    say: (d: { id: string; status: string }) => `Task ${d.id} is ${state(d.status)}; only an approved task posts its update.`,
    next: "Approve the task first.",
  },

  // ── residents ───────────────────────────────────────────────────────────
  name_banned_word: {
    say: (d: { name: string; word: string; banned: readonly string[] }) => `The name "${d.name}" contains "${d.word}", and a resident's name must not name a role.`,
    next: (d: { banned: readonly string[] }) => `Choose a name without any of these words: ${list(d.banned)}.`,
  },
  name_taken: {
    say: (d: { name: string; other: string }) => `The name "${d.name}" is already taken by ${d.other}.`,
    next: CHOOSE_ANOTHER_NAME,
  },
  name_too_similar: {
    say: (d: { name: string; other: string; percent: number }) => `The name "${d.name}" is too close to ${d.other}: ${d.percent} % alike.`,
    next: CHOOSE_ANOTHER_NAME,
  },
  text_too_similar: {
    say: (d: { field: "statement" | "summary"; other: string; percent: number }) => `This ${d.field} is too close to that of ${d.other}: ${d.percent} % alike.`,
    next: (d: { field: "statement" | "summary" }) => `Write a ${d.field} of their own.`,
  },
  seed_invalid: {
    say: (d: { seed: string }) => `"${d.seed}" is not a creativity seed.`,
    next: "A seed looks like AB-1234-CD (letters without I and O); leave it blank to have one drawn.",
  },
  seed_used: {
    say: (d: { seed: string; owner: string }) => `The creativity seed ${d.seed} already belongs to ${d.owner}.`,
    next: "Draw a new seed, or leave it blank to have one drawn.",
  },
  seed_exhausted: {
    say: () => "No unused creativity seed could be drawn.",
    next: "Try again, or type a seed yourself.",
  },
  profile_refused: {
    say: (d: { problems: readonly string[] }) => `The profile was refused: ${d.problems.join("; ")}.`,
    next: "Take out what is named and save again.",
  },
  journal_missing: {
    say: (d: { id: string }) => `Resident ${d.id} has no journal.`,
    next: "The data-issues banner says what is wrong with its record.",
  },
  journal_empty: {
    say: (d: { id: string }) => `Resident ${d.id}'s journal has no entries yet.`,
    next: "The worker playing the resident writes them; keep a roll-up once there are some.",
  },

  // ── rooms and mail ──────────────────────────────────────────────────────
  dm_needs_two: {
    say: () => "A direct message needs two different parties.",
    next: "Pick someone else to write to.",
  },
  mailbox_missing: {
    say: () => "This workspace has no mailbox yet.",
    next: "Start the relay once (vivarium start): it adds the mailbox.",
  },
  not_an_operator: {
    say: (d: { name: string }) => `The operator ${d.name} is not registered in this workspace, so it cannot write to residents.`,
    next: "Ask the workspace's owner to approve this operator first.",
  },
  reply_needs_resident_message: {
    say: (d: { id: string }) => `Message ${d.id} was not written by a resident.`,
    next: "Reply to a message a resident wrote.",
  },
  resident_cannot_pay: {
    say: (d: { name: string; cost: number; why: string }) => `${d.name} cannot pay the ${d.cost} free-time tokens a message to you costs: ${d.why}.`,
    next: "Wait until they have the tokens, or grant them some.",
  },

  // ── peers and runtime controls ──────────────────────────────────────────
  owner_only: {
    say: (d: { owner: string }) => `Only the workspace's owner (${d.owner}) approves and revokes operators.`,
    next: (d: { owner: string }) => `Ask ${d.owner} to do it.`,
  },
  terminal_operator_only: {
    say: (d: { name: string; operator: string }) => `The terminal ${d.name} is paired with ${d.operator}: only ${d.operator} or the owner approves or unpairs it.`,
    next: (d: { name: string; operator: string }) => `Ask ${d.operator} to do it.`,
  },
  pairing_not_arrived: {
    say: (d: { device: string }) => `The relay took the code, but the terminal ${d.device} has not reached this device yet.`,
    next: "Approve it under Settings → Paired terminals once it shows.",
  },
  pairing_by_terminal: {
    say: () => "A paired terminal cannot pair other terminals.",
    next: "Confirm the code in the control panel.",
  },
  pairing_key_mismatch: {
    say: (d: { device: string }) => `The key registered for ${d.device} is not the one that asked for this code, so it was not approved.`,
    next: "Run `vivarium pair` again on that terminal and confirm the new code.",
  },
  already_decided: {
    say: (d: { role: string; name: string; state: string }) => `The ${d.role} ${d.name} is already ${d.state}.`,
    next: "Nothing more to do.",
  },
  halt_needs_reason: {
    say: () => "Halting needs a reason.",
    next: "Say why in a few words: every operator sees it.",
  },

  // ── bounties ────────────────────────────────────────────────────────────
  bounty_completed: {
    say: (d: { id: string; by?: string | undefined }) => `Bounty ${d.id} is already completed${d.by ? ` (by ${d.by})` : ""}; it takes no more submissions or payouts.`,
    next: "Post a new bounty for more work.",
  },
  bounty_no_submissions: {
    say: (d: { id: string }) => `Bounty ${d.id} has no submissions yet.`,
    next: "Wait for a submission, or submit one on a resident's behalf.",
  },
  bounty_not_open: {
    say: (d: { id: string; state: string }) => `Bounty ${d.id} is ${state(d.state)}; only an open bounty can be deleted.`,
    next: "Complete it instead.",
  },
  duplicate_submission: {
    say: (d: { id: string; existing: string }) => `The same submission is already in bounty ${d.id} (${d.existing}).`,
    next: "Change what is submitted or who submits it.",
  },
  too_many_members: {
    say: (d: { max: number }) => `A submission has at most ${d.max} members.`,
    next: "Take some members out.",
  },
  runner_up_is_winner: {
    say: () => "The runner-up is the same submission as the winner.",
    next: "Pick a different runner-up, or none.",
  },

  // ── quests ──────────────────────────────────────────────────────────────
  quest_state_by_action: {
    say: (d: { id: string; state: string }) => `Quest ${d.id} is ${state(d.state)}; its state changes through its actions, not by editing.`,
    next: "Use Pause, Resume, Cancel or Approve.",
  },
  not_a_quest_document: {
    say: () => "This document has no objective text to edit.",
    next: "Open the quest from the quest list.",
  },
  quest_wrong_state: {
    say: (d: { id: string; from: string; to: string; moves: readonly string[] }) => `Quest ${d.id} is ${state(d.from)}, so it cannot become ${state(d.to)}.`,
    next: (d: { from: string; moves: readonly string[] }) =>
      d.moves.length ? `From ${state(d.from)} an operator can make it ${states(d.moves)}.` : `${asSentence(`${state(d.from)} is final`)} Assign a new quest to go on.`,
  },
  quest_moved_by_others: {
    say: (d: { id: string; from: string; to: string; allowed: readonly string[] }) =>
      `Only ${d.allowed.join(" or ")} may move quest ${d.id} from ${state(d.from)} to ${state(d.to)}.`,
    next: "It follows its task: wait for the task to be decided.",
  },
  quest_needs_resident: {
    say: (d: { id: string; purpose: "run" | "tip" | "pay" }) => `Quest ${d.id} has no resident to ${d.purpose === "run" ? "run it" : d.purpose}.`,
    next: "Set its resident first.",
  },
  quest_not_awaiting_approval: {
    say: (d: { id: string; state: string }) => `Quest ${d.id} is ${state(d.state)}; a quest is approved once its task was approved.`,
    next: "Wait until its task is approved (the quest then awaits approval).",
  },

  // ── plans ───────────────────────────────────────────────────────────────
  plan_not_compound: {
    say: (d: { reason: string }) => asSentence(`This request stays one task: ${d.reason}`),
    next: "Add it as a task, or plan it anyway (--force, or “Plan it anyway” in the panel).",
  },
  plan_not_found: {
    say: (d: { id: string }) => `Task ${d.id} has no plan.`,
    next: "List the plans (vivarium plan list, or Plans in the panel) and pick one of them.",
  },
  plan_decided: {
    say: (d: { id: string; state: string }) => `The plan of task ${d.id} is ${state(d.state)} already; it no longer changes.`,
    next: "Cancel the task to stop what has not run, or plan the request again as a new task.",
  },
  plan_drafting: {
    say: (d: { id: string }) => `The plan of task ${d.id} is still being drafted by a worker's model.`,
    next: "Wait until it is proposed (a worker with a model key drafts it), or reject it.",
  },
  plan_step_invalid: {
    say: (d: { problem: string }) => asSentence(`This plan cannot run as it stands: ${d.problem}`),
    next: "Make every step wait only for steps above it, keep at least one step, and try again.",
  },

  // ── skills ──────────────────────────────────────────────────────────────
  skills_missing: {
    say: () => "This workspace has no skills document yet.",
    next: "Start the relay once (vivarium start): it adds the skills document.",
  },
  skill_not_found: {
    say: (d: { id: string }) => `There is no skill ${d.id}.`,
    next: "List the skills (vivarium skill list, or Skills in the panel) and pick one of them.",
  },
  skill_exists: {
    say: (d: { name: string }) => `A skill named ${d.name} exists already.`,
    next: "Edit that skill, or give this one another name.",
  },
  skill_invalid: {
    say: (d: { problem: string }) => asSentence(`This skill cannot be used as it stands: ${d.problem}`),
    next: "Declare every {{parameter}} the template uses, or take it out of the template.",
  },
  skill_decided: {
    say: (d: { id: string; state: string }) => `Skill ${d.id} is ${state(d.state)} already.`,
    next: "Nothing to do; retire it to stop its use, or approve a retired one to use it again.",
  },

  // ── hats ────────────────────────────────────────────────────────────────
  hat_not_found: {
    say: (d: { id: string }) => `There is no hat ${d.id}.`,
    next: "List the hats (vivarium hat list, or Hats in the panel) and pick one of them.",
  },
  hat_exists: {
    say: (d: { name: string }) => `A hat named ${d.name} exists already.`,
    next: "Edit that hat, or give this one another name.",
  },

  // ── one-time tasks ──────────────────────────────────────────────────────
  no_collab_request: {
    say: () => "There is no active collaboration request.",
    next: "Set one (vivarium request set --text T, or Mailbox & Quests in the panel).",
  },
  onetime_exists: {
    say: (d: { id: string }) => `A one-time task ${d.id} exists already.`,
    next: "Give this one another id, or edit that one.",
  },
  onetime_refused: {
    say: (d: { id: string; resident: string; why: string }) => `The one-time task ${d.id} cannot be claimed for ${d.resident}: ${d.why}.`,
    next: "List the one-time tasks (vivarium onetime list, or Bounties in the panel) to see who may still claim which.",
  },

  // ── the community: guilds, journal reviews, disputes ───────────────────
  community_missing: {
    say: () => "This workspace has no community document yet (guilds, journal reviews, disputes).",
    next: "Start the relay once with this version: it adds the document, then try again.",
  },

  // ── guilds ──────────────────────────────────────────────────────────────
  guild_not_found: {
    say: (d: { id: string }) => `There is no guild ${d.id}.`,
    next: "List the guilds (vivarium guild list, or Guilds & Reviews in the panel) and name one by its id or its name.",
  },
  join_request_not_found: {
    say: (d: { id: string }) => `There is no join request ${d.id}.`,
    next: "Show the guild it was made for (vivarium guild show with its id or name, or Guilds & Reviews in the panel) to see its requests.",
  },
  guild_refused: {
    say: (d: { what: string; why: string }) => `${d.what} is not possible: ${d.why}.`,
    next: "Look at the guilds (vivarium guild list and guild show, or Guilds & Reviews in the panel) to see who is in which guild and which requests wait.",
  },

  // ── journal reviews ─────────────────────────────────────────────────────
  review_not_found: {
    say: (d: { id: string }) => `There is no journal review ${d.id}.`,
    next: "List the reviews (vivarium journal reviews, or Guilds & Reviews in the panel) and pick one of them.",
  },
  review_refused: {
    say: (d: { id: string; why: string }) => `Journal review ${d.id} cannot take this: ${d.why}.`,
    next: "List the reviews (vivarium journal reviews, or Guilds & Reviews in the panel) to see which are still waiting for votes.",
  },
  review_cannot_pay: {
    say: (d: { name: string; cost: number; journal: number; freeTime: number }) =>
      `${d.name} cannot pay the ${d.cost} tokens a journal review costs: it has ${d.journal} journal and ${d.freeTime} free-time tokens.`,
    next: "Wait until it has the tokens (journal tokens are spent first, then free time), or grant it some.",
  },

  // ── disputes ────────────────────────────────────────────────────────────
  dispute_not_found: {
    say: (d: { id: string }) => `There is no dispute ${d.id}.`,
    next: "List the disputes (vivarium dispute list, or Guilds & Reviews in the panel) and pick one of them; one opened elsewhere may not have arrived yet.",
  },
  dispute_exists: {
    say: (d: { id: string }) => `That round is disputed already: dispute ${d.id}.`,
    next: "A decided round is disputed once: follow that dispute (vivarium dispute show with its id, or Guilds & Reviews in the panel).",
  },
  dispute_refused: {
    say: (d: { what: string; why: string }) => `${d.what} is not possible: ${d.why}.`,
    next: "Show the dispute and its round (vivarium dispute show, or Guilds & Reviews in the panel) to see who took part and where its mediation stands.",
  },

  // ── artifacts ───────────────────────────────────────────────────────────
  artifacts_missing: {
    say: () => "This workspace has no artifacts index yet.",
    next: "Start the relay once with this version: it adds the index, then try again.",
  },
  artifact_not_found: {
    say: (d: { id: string }) => `There is no artifact ${d.id}.`,
    next: "List the artifacts (vivarium artifact list, or Artifacts in the panel) and pick one of them; one made elsewhere may not have arrived yet.",
  },
  artifact_version_not_found: {
    say: (d: { id: string; version: number; versions: number }) => `Artifact ${d.id} has no version ${d.version}: it has versions 1 to ${d.versions}.`,
    next: "Pick one of its versions (vivarium artifact show ID lists them).",
  },
  artifact_too_large: {
    say: (d: { name: string; bytes: number; max: number; what: "text" | "an image" }) =>
      `The file ${d.name} is ${Math.ceil(d.bytes / 1024)} KiB: ${d.what === "text" ? "a text" : "an image"} artifact holds at most ${d.max / 1024} KiB.`,
    next: "Nothing was written. Make it smaller, or split it, and add it again.",
  },
  artifact_type: {
    say: (d: { name: string; why: string }) => `The file ${d.name} cannot be kept as an artifact: ${d.why}.`,
    next: "Nothing was written. Add UTF-8 text (Markdown, plain text, CSV, a .json file) or a PNG, JPG, GIF or WebP image.",
  },
  artifact_versions_full: {
    say: (d: { id: string; max: number }) => `Artifact ${d.id} holds its ${d.max} versions already.`,
    next: "Add this one as a new artifact, under another file name.",
  },
  artifact_not_yours: {
    say: (d: { id: string; by: string }) => `Artifact ${d.id} was made by ${d.by}.`,
    next: "Operators add versions only to artifacts they made: add yours under another file name.",
  },
  artifact_unchanged: {
    say: (d: { id: string; version: number }) => `This is what version ${d.version} of artifact ${d.id} holds already.`,
    next: "Nothing was written: a new version needs different content (a changed file, or new journal entries for a roll-up).",
  },

  // ── proposals and improvement loops ─────────────────────────────────────
  proposals_missing: {
    say: () => "This workspace has no proposals document yet.",
    next: "Start the relay once with this version: it adds the document, then try again.",
  },
  proposal_not_found: {
    say: (d: { id: string }) => `There is no proposal ${d.id}.`,
    next: "List the proposals (vivarium proposal list, or Proposals in the panel) and pick one of them.",
  },
  proposal_decided: {
    say: (d: { id: string; state: string }) => `Proposal ${d.id} is ${d.state.replace("_", " ")} already.`,
    next: "Only a proposal still waiting can be approved or rejected; an applied one can be rolled back.",
  },
  proposal_approved_twice: {
    say: (d: { id: string }) => `You approved proposal ${d.id} already.`,
    next: "A high-risk proposal needs a second operator's approval: ask another operator.",
  },
  proposal_stale: {
    say: (d: { id: string }) => `The target of proposal ${d.id} changed after it was proposed.`,
    next: "Reject it (applying it would overwrite that change) and propose again from the current words.",
  },
  proposal_not_applied: {
    say: (d: { id: string; state: string }) => `Proposal ${d.id} is ${d.state.replace("_", " ")}, not applied: there is nothing to roll back.`,
    next: "Only an applied proposal rolls back to its checkpoint.",
  },
  proposal_changed_since: {
    say: (d: { id: string }) => `The target of proposal ${d.id} was changed again after it applied.`,
    next: "Roll back the later change first, or edit the target by hand.",
  },
  loop_not_found: {
    say: (d: { id: string }) => `There is no improvement loop ${d.id}.`,
    next: "List the loops (vivarium loop list, or Proposals in the panel) and pick one of them.",
  },
  loop_not_waiting: {
    say: (d: { id: string; state: string }) => `Loop ${d.id} is ${d.state.replace("_", " ")}, not waiting at a checkpoint.`,
    next: "A loop goes on only from a checkpoint; a finished or stopped loop can be started again as a new one.",
  },
  loop_checkpoint_open: {
    say: (d: { id: string; proposal: string }) => `Loop ${d.id} waits for a decision on proposal ${d.proposal}.`,
    next: "Approve or reject that proposal first, then let the loop go on.",
  },
  loop_ended: {
    say: (d: { id: string; state: string }) => `Loop ${d.id} is ${d.state} already.`,
    next: "Start a new loop to improve the target again.",
  },

  // ── snapshots and time travel ───────────────────────────────────────────
  snapshot_not_found: {
    say: (d: { name: string }) => `There is no snapshot named ${d.name}.`,
    next: "List the snapshots (vivarium snapshot list) and pick one, or give a time with --at.",
  },
  document_not_named: {
    say: (d: { ref: string }) => `No document of this workspace is called ${d.ref}.`,
    next: "Name a document by its kind (root, queue, identities, wallets, ledger, rooms, quests, bounties, mailbox, skills, proposals) or give its automerge: URL.",
  },
  point_not_held: {
    say: (d: { what: string }) => `This peer holds no record of ${d.what} at that point.`,
    next: "Pick a later point, or let this peer sync with the relay first.",
  },

  // ── workspace archives (export, import, backup) ─────────────────────────
  archive_refused: {
    say: (d: { file: string; reason: string }) => `The archive ${d.file} cannot be imported: ${d.reason}.`,
    next: "Nothing was written. Import an untouched, complete archive (vivarium export or backup writes one).",
  },
  archive_target_taken: {
    say: (d: { dir: string }) => `The data directory ${d.dir} holds a workspace already.`,
    next: "Import into a new, empty data directory.",
  },

  // ── anything else ───────────────────────────────────────────────────────
  unexpected: {
    say: (d: { detail: string }) => asSentence(`Something went wrong: ${d.detail}`),
    next: "Try again; if it keeps happening, the relay's log says more.",
  },
} as const

export type ErrorCode = keyof typeof ERRORS
type Entry = { say: (details: never) => string; next: string | ((details: never) => string) }
/** The details a code's sentence needs (undefined when it needs none). */
export type ErrorDetails<C extends ErrorCode> = Parameters<(typeof ERRORS)[C]["say"]>[0]
export type DetailArgs<C extends ErrorCode> = ErrorDetails<C> extends undefined ? [] : [details: ErrorDetails<C>]

/** What a person reads about an error: the same in the CLI (`--json` too) and the panel. */
export interface ErrorDescription {
  code: string
  message: string
  next: string
}

/** A refusal from the catalogue: `message` is its sentence, `next` what to do. Nothing was written. */
export class UserError<C extends ErrorCode = ErrorCode> extends Error {
  override readonly name: string = "UserError"
  readonly code: C
  readonly details: ErrorDetails<C>
  readonly next: string

  constructor(code: C, ...[details]: DetailArgs<C>) {
    const entry = ERRORS[code] as Entry
    const arg = details as never
    super(entry.say(arg))
    this.code = code
    this.details = details as ErrorDetails<C>
    this.next = typeof entry.next === "function" ? entry.next(arg) : entry.next
  }

  describe(): ErrorDescription {
    return { code: this.code, message: this.message, next: this.next }
  }
}

/** A refusal for input that failed its schema, each problem named by its field. */
export function inputError(issues: readonly Pick<z.core.$ZodIssue, "path" | "message">[]): UserError<"invalid_input"> {
  return new UserError("invalid_input", { problems: issues.map(i => (i.path.length ? `${words(i.path)}: ${i.message}` : i.message)) })
}

/** Any error as a person should read it: catalogued ones as they are, anything else as unexpected. */
export function describeError(error: unknown): ErrorDescription {
  if (error instanceof UserError) return error.describe()
  if (isZodError(error)) return inputError(error.issues).describe()
  const detail = error instanceof Error ? error.message : String(error)
  return new UserError("unexpected", { detail }).describe()
}

/** The sentence and the next step, as one line. */
export function humanText(error: unknown): string {
  const { message, next } = describeError(error)
  return `${message} ${next}`
}

function isZodError(error: unknown): error is z.ZodError {
  return error instanceof Error && error.name === "ZodError" && Array.isArray((error as z.ZodError).issues)
}
