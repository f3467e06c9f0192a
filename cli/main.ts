/**
 * `vivarium`: one entry point, one clear line on stderr and exit code 2 for any user error.
 * A refusal from the catalogue (src/core/errors.ts) prints its sentence and next step; with
 * --json it prints {"error": {code, message, next}} on stdout instead.
 */
import { ZodError } from "zod"
import { UserError, type ErrorDescription } from "../src/core/errors.ts"
import { runJoinLink } from "./commands/joinLink.ts"
import { runRelayCommand } from "./commands/relay.ts"
import { runStatus } from "./commands/status.ts"
import { TASK_SUBCOMMANDS } from "./commands/task.ts"
import { REVIEW_SUBCOMMANDS } from "./commands/review.ts"
import { runWorkerCommand } from "./commands/worker.ts"
import { killSwitchCommand } from "./commands/control.ts"
import { runKeyCommand } from "./commands/key.ts"
import { runAuditCommand } from "./commands/audit.ts"
import { runOperatorCommand } from "./commands/operator.ts"
import { CliError } from "./errors.ts"

const HELP = `vivarium — a local-first workspace for operators and AI residents

Usage: vivarium <command> [flags]

Run the workspace:
  start     [--port 8420] [--data .vivarium] [--lan | --host H]   relay + control panel + local worker
  relay     [--port 8420] [--data .vivarium] [--lan | --host H]   the relay alone
  join-link [--data .vivarium] [--json]                          link, relay address and secret

Work with a running workspace (peer commands):
  task add  (--prompt TEXT | --command CMD) [--title T] [--depends-on ID,...]
            [--max-budget USD] [--min-budget USD] [--model M] [--priority N] [--json]
  task list [--status S] [--json]
  task show ID [--json]                            result, critic verdict and history of a task
  task approve ID [--tip N] [--feedback TEXT]     decide a task in pending_review
  task requeue ID | task fail ID | task cancel ID [--reason TEXT]
  status    [--json]
  halt --reason TEXT | resume                      the kill switch
  audit verify [--json]                            check every peer's signed audit log and every signed
                                                   approval, payment, role change and key rotation
  key rotate [--peer NAME --public-key HEX]        replace your key (signed by the old one); the owner
                                                   can replace another peer's key

Workers:
  worker    [--relay ws://host:port --token T] [--data .vivarium-worker] [--name N]
            [--concurrency 1] [--lease-ms 60000] [--residents ID,...]
                                                   run a worker peer (GROQ_API_KEY enables LLM tasks);
                                                   it plays the residents the relay leases to it
  worker approve NAME | worker revoke NAME | worker list [--json]

Operators:
  operator list [--json]                           operators, their approval and the owner
  operator approve NAME | operator revoke NAME     the workspace owner admits or removes an operator

Peer commands find the relay from --relay ws://host:port and --token SECRET, else from
VIVARIUM_RELAY and VIVARIUM_TOKEN, else from the local data dir (--data, default .vivarium).
They speak for the operator named by VIVARIUM_OPERATOR (default: your login name), with that
operator's key under VIVARIUM_HOME (default ~/.vivarium). A new operator key is enrolled as
pending; the workspace owner approves it with 'vivarium operator approve NAME'.

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or a refusal (which says what to do next; with
--json it is {"error": {"code", "message", "next"}} on stdout).`

const ALL_TASK_SUBCOMMANDS = { ...TASK_SUBCOMMANDS, ...REVIEW_SUBCOMMANDS }
const TASK_HELP = `Usage: vivarium task <${Object.keys(ALL_TASK_SUBCOMMANDS).join("|")}> [flags]   (see vivarium --help)`

type Command = (argv: string[]) => Promise<number>

const COMMANDS: Record<string, Command> = {
  start: argv => runRelayCommand("start", argv),
  relay: argv => runRelayCommand("relay", argv),
  "join-link": runJoinLink,
  status: runStatus,
  worker: runWorkerCommand,
  halt: killSwitchCommand(true),
  resume: killSwitchCommand(false),
  audit: runAuditCommand,
  key: runKeyCommand,
  operator: runOperatorCommand,
  task: async argv => {
    const [sub, ...rest] = argv
    if (!sub || sub === "--help" || sub === "-h") {
      console.log(TASK_HELP)
      return sub ? 0 : 2
    }
    const run = ALL_TASK_SUBCOMMANDS[sub as keyof typeof ALL_TASK_SUBCOMMANDS]
    if (!run) throw new CliError(`task: unknown subcommand '${sub}' (expected ${Object.keys(ALL_TASK_SUBCOMMANDS).join(", ")})`)
    return run(rest)
  },
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(HELP)
    return name ? 0 : 2
  }
  const command = COMMANDS[name]
  try {
    if (!command) throw new CliError(`unknown command '${name}' (see vivarium --help)`)
    if (rest.includes("--help") || rest.includes("-h")) {
      console.log(name === "task" ? TASK_HELP : HELP)
      return 0
    }
    return await command(rest)
  } catch (error) {
    const json = rest.includes("--json")
    if (error instanceof UserError) return report(error.describe(), json)
    if (error instanceof CliError) {
      if (json) return report({ code: "usage", message: error.message, next: "See vivarium --help." }, json, error.exitCode)
      console.error(`vivarium: ${error.message}`)
      return error.exitCode
    }
    if (error instanceof ZodError) {
      console.error(`vivarium: ${error.issues[0]?.path.join(".")}: ${error.issues[0]?.message}`)
      return 2
    }
    console.error(`vivarium: ${(error as Error).message}`)
    return 1
  }
}

/** A refusal: the sentence and the next step on one line, or JSON on stdout for --json. */
function report(error: ErrorDescription, json: boolean, exitCode = 2): number {
  if (json) console.log(JSON.stringify({ error }))
  else console.error(`vivarium: ${error.message} ${error.next}`)
  return exitCode
}
