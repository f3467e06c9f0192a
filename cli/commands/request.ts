/** `vivarium request show|set|done`: the collaboration request every resident is asked to help with. */
import { z } from "zod"
import { collabRequestsOf, finishCollabRequest, setCollabRequest } from "../../src/domain/collaboration/index.ts"
import { parseFlags, stringFlags } from "../args.ts"
import { withPeer } from "../connection.ts"
import { actAsOperator } from "../operatorAction.ts"
import { formatTime, oneLine, OUTPUT_FLAGS, OutputInput, print } from "../output.ts"

async function show(argv: string[]): Promise<number> {
  const flags = parseFlags("request show", argv, OUTPUT_FLAGS, OutputInput)
  const requests = await withPeer(flags, peer => collabRequestsOf(peer.workspace))
  print(flags, requests, r =>
    [
      r.active ? `ACTIVE since ${formatTime(r.active.at)}, set by ${r.active.by} (task ${r.active.taskId}):\n  ${r.active.text}` : "no active collaboration request (vivarium request set --text T)",
      ...(r.finished.length ? ["", "finished (newest first):", ...r.finished.map(f => `  ${formatTime(f.endedAt)}  ${f.outcome.padEnd(8)} ${f.duration.padStart(9)}  ${oneLine(f.text, 60)}`)] : []),
    ].join("\n"),
  )
  return 0
}

const SET_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("text") }
const SetInput = OutputInput.extend({ text: z.string({ error: "--text is required" }) })

async function set(argv: string[]): Promise<number> {
  const flags = parseFlags("request set", argv, SET_FLAGS, SetInput)
  const made = await actAsOperator(flags, ctx => setCollabRequest(ctx, { text: flags.text }))
  print(flags, made, m => `collaboration request set${m.replaced ? ` (it replaces ${m.replaced})` : ""}; task ${m.task.id} asks the residents for it`)
  return 0
}

async function done(argv: string[]): Promise<number> {
  const flags = parseFlags("request done", argv, OUTPUT_FLAGS, OutputInput)
  const finished = await actAsOperator(flags, ctx => finishCollabRequest(ctx))
  print(flags, finished, f => `collaboration request done after ${f.duration}`)
  return 0
}

export const REQUEST_SUBCOMMANDS = { show, set, done }
