/**
 * The worker's safety rules (src/core/safety.ts) applied when a task is added or edited, so a
 * prompt or command the worker would refuse is refused at once: in the panel's form as it is
 * typed, in the CLI before it connects, and in the actions. The worker checks again right
 * before running (a task is a CRDT, and a peer can write one without going through an
 * action); only what depends on the worker's own disk, symlinks inside its working directory,
 * is left to that check.
 */
import type { TaskMode } from "../../../schemas/index.ts"
import { UserError } from "../../core/errors.ts"
import { checkLocalCommand, checkPrompt, DEFAULT_LOCAL_POLICY, type CommandJail } from "../../core/safety.ts"

/**
 * Where a command will run is the worker's business, unknown here: paths are checked against
 * a stand-in root, lexically (every path "exists"), so "../x" and "/etc/x" are refused and
 * "notes/x" passes.
 */
const SUBMIT_JAIL: CommandJail = { root: "/working-directory", realpath: path => path }

export interface TaskText {
  mode?: TaskMode | undefined
  title?: string | undefined
  prompt?: string | undefined
  command?: string | undefined
}

export type TaskTextRefusal = UserError<"command_not_allowed" | "prompt_not_allowed">

/**
 * Why the worker would refuse this task's command or prompt, or undefined. An LLM task's
 * title is screened with its prompt, as the worker does.
 */
export function taskTextRefusal(task: TaskText): TaskTextRefusal | undefined {
  const local = task.mode ? task.mode === "local" : task.command !== undefined
  if (local) {
    const verdict = checkLocalCommand(task.command ?? "", DEFAULT_LOCAL_POLICY, SUBMIT_JAIL)
    if (verdict.ok) return undefined
    return new UserError("command_not_allowed", {
      rule: verdict.rule,
      reason: verdict.reason,
      programs: DEFAULT_LOCAL_POLICY.allow,
      gitSubcommands: DEFAULT_LOCAL_POLICY.gitSubcommands,
    })
  }
  const verdict = checkPrompt(`${task.title ?? ""}\n${task.prompt ?? ""}`)
  return verdict.ok ? undefined : new UserError("prompt_not_allowed", { rule: verdict.rule, reason: verdict.reason })
}
