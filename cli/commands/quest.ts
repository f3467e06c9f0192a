/** `vivarium quest list|assign|pause|resume|approve`: quests and their lifecycle, as in the panel. */
import type { QuestDoc } from "../../schemas/index.ts"
import { approveQuest, AssignQuestInput, assignQuest, pauseQuest, QuestFields, questRef, quests, resumeQuest } from "../../src/domain/quests/index.ts"
import type { OperatorContext } from "../../src/workspace/actionContext.ts"
import { numberFlagOf, parseFlags, stringFlags, takeId } from "../args.ts"
import { withPeer } from "../connection.ts"
import { directory } from "../directory.ts"
import { CliError } from "../errors.ts"
import { actAsOperator } from "../operatorAction.ts"
import { OUTPUT_FLAGS, OutputInput, print, printTable } from "../output.ts"

async function list(argv: string[]): Promise<number> {
  const flags = parseFlags("quest list", argv, OUTPUT_FLAGS, OutputInput)
  const { all, nameOf } = await withPeer(flags, async peer => ({ all: await quests(peer.workspace), nameOf: (await directory(peer.workspace)).nameOf }))
  printTable(flags, all, {
    header: `${"ID".padEnd(28)} ${"STATE".padEnd(18)} ${"RESIDENT".padEnd(22)} TITLE`,
    row: q => `${q.id.padEnd(28)} ${q.state.padEnd(18)} ${(q.identity ? nameOf(q.identity) : "—").padEnd(22)} ${q.title}`,
    empty: "no quests yet: assign one with vivarium quest assign --resident ID --title T --objective TEXT",
  })
  return 0
}

const ASSIGN_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("resident", "title", "objective", "budget", "upfront-tip", "reward") }
/** The assign form's fields, as flags: the same rules and messages (src/domain/quests/inputs.ts). */
const AssignFlags = OutputInput.extend({
  resident: AssignQuestInput.shape.identity.optional(),
  title: AssignQuestInput.shape.title.optional(),
  objective: AssignQuestInput.shape.objective.optional(),
  budget: numberFlagOf(QuestFields.budgetUsd).optional(),
  "upfront-tip": numberFlagOf(QuestFields.upfrontTip).optional(),
  reward: numberFlagOf(QuestFields.completionReward).optional(),
})

async function assign(argv: string[]): Promise<number> {
  const flags = parseFlags("quest assign", argv, ASSIGN_FLAGS, AssignFlags)
  const missing = (["resident", "title", "objective"] as const).filter(f => flags[f] === undefined)
  if (missing.length) throw new CliError(`quest assign: ${missing.map(f => `--${f}`).join(", ")} ${missing.length > 1 ? "are" : "is"} required`)
  const { assigned, resident } = await actAsOperator(flags, async ctx => {
    const assigned = await assignQuest(ctx, {
      identity: flags.resident!,
      title: flags.title!,
      objective: flags.objective!,
      ...(flags.budget !== undefined ? { budgetUsd: flags.budget } : {}),
      ...(flags["upfront-tip"] !== undefined ? { upfrontTip: flags["upfront-tip"] } : {}),
      ...(flags.reward !== undefined ? { completionReward: flags.reward } : {}),
    })
    return { assigned, resident: (await directory(ctx.workspace)).nameOf(flags.resident!) }
  })
  print(flags, assigned, a =>
    [
      `quest “${a.quest.title}” assigned to ${resident} (${a.quest.id})`,
      `its task ${a.task.id} is queued for ${resident}; budget $${a.quest.budgetUsd}`,
      a.upfrontPaid ? `upfront tip of ${a.upfrontPaid} tokens paid; ${a.quest.completionReward} more on approval` : `${a.quest.completionReward} tokens on approval`,
    ].join("\n"),
  )
  return 0
}

/** `quest pause|resume|approve ID`: one lifecycle step, said with the quest's title. */
function step<T extends object>(name: string, act: (ctx: OperatorContext, id: string) => Promise<T>, say: (quest: QuestDoc, result: T, nameOf: (id: string) => string) => string) {
  return async (argv: string[]): Promise<number> => {
    const command = `quest ${name}`
    const [id, rest] = takeId(command, argv, "quest")
    const flags = parseFlags(command, rest, OUTPUT_FLAGS, OutputInput)
    const { result, quest, nameOf } = await actAsOperator(flags, async ctx => {
      const result = await act(ctx, id)
      return { result, quest: (await questRef(ctx.workspace, id)).quest, nameOf: (await directory(ctx.workspace)).nameOf }
    })
    print(flags, { quest: quest.id, state: quest.state, ...result }, () => say(quest, result, nameOf))
    return 0
  }
}

export const QUEST_SUBCOMMANDS = {
  list,
  assign,
  pause: step("pause", pauseQuest, (q, r) => `quest “${q.title}” paused${r.withdrawnTask ? `; its open task ${r.withdrawnTask} was withdrawn` : ""}`),
  resume: step("resume", resumeQuest, (q, r) => `quest “${q.title}” resumed; ${r.fresh ? `a fresh task ${r.taskId} is queued` : `its task ${r.taskId} carries on`}`),
  approve: step("approve", approveQuest, (q, r, nameOf) =>
    r.paid
      ? `quest “${q.title}” approved; ${r.amount} tokens paid to ${q.identity ? nameOf(q.identity) : "its resident"}`
      : `quest “${q.title}” was ${r.reason}: nothing more is paid`,
  ),
}
