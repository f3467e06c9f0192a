/**
 * `vivarium`: one entry point, one clear line on stderr and exit code 2 for any user error.
 * Each command's module is imported only when that command runs, so `--help` and a simple
 * command load no more than they use.
 * A refusal from the catalogue (src/core/errors.ts) prints its sentence and next step; with
 * --json it prints {"error": {code, message, next}} on stdout instead.
 */
import { UserError, type ErrorDescription } from "../src/core/errors.ts"
import { CliError } from "./errors.ts"
import { clearProgress, showProgress } from "./progress.ts"

const HELP = `vivarium — a local-first workspace for operators and AI residents

Usage: vivarium <command> [flags]

Run the workspace:
  start     [--port 8420] [--data .vivarium] [--lan | --host H]   relay + control panel + local worker
  relay     [--port 8420] [--data .vivarium] [--lan | --host H]   the relay alone
            [--follow ws://primary:port --token T] [--follower-name N]  a follower of another relay
            --lan: HTTPS on PORT+1 with the workspace's own CA (or --cert FILE --key FILE),
            a trust helper on PORT+2 (http: the CA certificate and steps), plain http on 127.0.0.1 only
  join-link [--data .vivarium] [--json]                          link, relay address and secret

Work with a running workspace (peer commands):
  task add  (--prompt TEXT | --command CMD) [--title T] [--depends-on ID,...]
            [--max-budget USD] [--min-budget USD] [--model M] [--priority N] [--json]
  task list [--status S] [--json]
  task show ID [--json]                            result, critic verdict and history of a task
  task context ID [--json]                         the exact resident context the task's run gave the model
  task approve ID [--tip N] [--feedback TEXT]     decide a task in pending_review
  task requeue ID | task fail ID | task cancel ID [--reason TEXT]
  status    [--json]
  halt --reason TEXT | resume                      the kill switch
  audit verify [--months N] [--json]               check every peer's signed audit log (its newest N
                                                   monthly segments) and every signed approval, payment,
                                                   role change and key rotation
  key rotate [--peer NAME --public-key HEX]        replace your key (signed by the old one); the owner
                                                   can replace another peer's key

Residents, rooms, mail, quests and bounties (the panel's forms, as flags; each takes --json):
  resident list | resident show ID
  resident forge --name NAME [--summary T] [--statement T] [--seed AB-1234-CD]
            [--traits a,b] [--values a,b] [--activities a,b] [--bio T]
  room list | room read ROOM_ID [--limit 20] | room topic ROOM_ID --text T
  room post (ROOM_ID | --dm RESIDENT) --content TEXT [--importance 0-10] [--reply-to MSG_ID]
  mail list [--unread] | mail send [--to RESIDENT] --content TEXT | mail reply MAIL_ID --content TEXT
  quest list | quest pause ID | quest resume ID | quest approve ID
  quest assign --resident ID --title T --objective TEXT [--budget USD] [--upfront-tip N] [--reward N]
  bounty list | bounty post --title T --reward N [--description T] [--slots N]
  bounty submit ID --resident ID [--members ID,...] --content TEXT
  bounty complete ID --winner SUBMISSION_ID [--runner-up SUBMISSION_ID]
            [--winner-reward N] [--runner-up-reward N]
  wallet show RESIDENT                             balances and ledger of a resident

Plans (a compound request cut into steps an operator checks; planning needs no key):
  plan preview --request TEXT [--force] [--json]   how the planner reads a request, offline: the
                                                   gut-check, the intent, and the steps it would
                                                   offer, each with its facet, hat and what it waits for
  plan add --request TEXT [--force] [--draft splitter|model] [--max-budget USD] [--model M]
            [--priority N] [--resident ID]         plan it as a task: nothing runs until approved;
                                                   --draft model has a worker's model cut it first
  plan list | plan show ID                         plans, their steps and their subtasks' status
  plan approve ID | plan reject ID [--reason TEXT] approve (queues one subtask per step; the task
                                                   waits for them and is reviewed once) or reject

Skills (ways of doing one kind of task that worked; used only once approved):
  skill list | skill show NAME                     skills with their use: times, success, cost
  skill approve NAME | skill retire NAME           let tasks be routed to it, or stop that

Hats (prompt overlays a plan step wears by its facet; a hat never changes who a resident is):
  hat list | hat show HAT                          the defaults, operators' edits and their own
  hat add --name N --description D --prompt P [--facet strategy|build|review|document]
  hat edit HAT [--name N] [--description D] [--prompt P] [--facet F]
                                                   a default hat's edit replaces it here

Proposals and improvement loops (a change applies only with an operator's approval, two for
high risk, at a checkpoint a rollback returns to; TARGET is hat:ID:prompt|description or
skill:ID:template|description):
  proposal list | proposal show ID                 proposals, their state, approvals, before and after
  proposal create --target TARGET --text T --reason R [--risk low|medium|high] [--rollback-plan P]
  proposal approve ID | proposal reject ID [--reason TEXT]
                                                   the approval that makes enough applies it
  proposal rollback ID                             back to the checkpoint, as a new audited change
  loop start --target TARGET --goal G [--resident ID] [--risk R] [--iterations 3] [--budget 0.1]
                                                   a resident proposes, iteration after iteration,
                                                   and the loop waits at each proposal
  loop list | loop continue ID | loop stop ID [--reason TEXT]

Collaboration request (one banner asking every resident to help; each takes --json):
  request show                                     the active collaboration request and the finished ones
  request set --text T                             asks every resident to help with T (replaces the
                                                   active one; queues a suggestion task for it)
  request done                                     the active request is done

One-time tasks (each resident does each once, for a bonus paid on approval):
  onetime list                                     the catalogue, who did each and who claimed it
  onetime add --id ID --title T --prompt P [--bonus 25] [--eligible RES,...]
  onetime claim ID --resident RES                  queues it for the resident (one claim each)
  onetime retire ID                                no new claims

Artifacts (what residents and tasks produce: reports, files from a worker's jail, documents, roll-ups;
every version kept; each takes --json):
  artifact list [--task ID] [--author RESIDENT] [--kind report|document|journal_rollup|file]
  artifact show ID [--version N] [--out FILE]      a version's text (an image's details; --out
                                                   writes its bytes), the newest by default
  artifact show ID --diff-from N [--version M]     the lines version M (the newest) adds and removes
  artifact add --file PATH [--title T] [--task ID] your file (UTF-8 text or a PNG, JPG, GIF or WebP
                                                   image); the same file name again adds a version
  artifact rollup --resident RESIDENT              keeps the resident's journal roll-ups (weeks and
                                                   days) as your roll-up artifact of it, a version each time

Journal reviews (an entry's excerpt, names taken out, rated blind; the relay decides at 3 votes):
  journal submit --author RESIDENT --entry ENTRY_ID
                                                   the author pays 10 tokens (journal first, then free time)
  journal reviews                                  waiting ones: excerpt, votes cast and still needed;
                                                   decided ones: outcome, average and reward
  journal rate REVIEW (--voter RESIDENT | --as-operator) --choice accept|reject|exceptional|gaming
            --reason TEXT                          one vote per voter; nobody rates their own entry

Guilds (a resident is in one guild; joining takes a blind vote of its members, decided by the
relay at 2 votes, accepted at 60 % or more):
  guild list [--sort earned|bounties|members]     the leaderboard and how many requests wait
  guild show GUILD                                 members and requests (votes hidden until decided)
  guild found --name N --founder RESIDENT [--motto M]
  guild join GUILD --applicant RESIDENT [--note T] asks for the resident to join
  guild vote REQUEST (--voter RESIDENT | --as-operator) --choice accept|reject --reason TEXT
  guild leave GUILD --member RESIDENT              a guild whose last member left is disbanded

Disputes (a participant contests a decided round and risks its daily allowance; a third-party
resident mediates wearing the Hat of Objectivity; its answer counts once an operator approves it):
  dispute list | dispute show DISPUTE              disputes, their round, mediator and outcome
  dispute open --target guild_join:REQUEST|journal_review:REVIEW (--requester RESIDENT | --as-operator)
            --reason TEXT                          the applicant, author or a counted voter disputes
  dispute mediate DISPUTE --mediator RESIDENT      the relay queues the mediation for that resident;
                                                   UPHOLD suspends the allowance 2 days, REOPEN revotes

Workers:
  worker    [--relay ws://host:port --token T] [--data .vivarium-worker] [--name N]
            [--concurrency 1] [--lease-ms 60000] [--residents ID,... | all]
            [--min-score N]   residents decline offered work whose traits and reward score below N
                                                   run a worker peer (GROQ_API_KEY enables LLM tasks);
                                                   it plays the residents the relay leases to it
  worker approve NAME | worker revoke NAME | worker list [--json]

Snapshots and time travel (every document keeps its whole history; a restore is a new change):
  snapshot create --name NAME | snapshot list      name this moment of the whole workspace (signed)
  snapshot show (SNAPSHOT | --at TIME) --doc DOC   a document as it was (DOC: root, queue, identities,
                                                   wallets, ledger, rooms, quests, bounties, mailbox,
                                                   skills, or an automerge: URL)
  snapshot diff (SNAPSHOT | --at TIME) [--to SNAPSHOT | --to-at TIME] --doc DOC
                                                   what changed between two points (default: until now)
  snapshot restore (SNAPSHOT | --at TIME) --doc DOC
                                                   write the document back as it was, audited; the relay
                                                   judges it as any change (operators restore what they
                                                   may write)
Export, import and backups (every document with its whole history, hashed and signed):
  export --out FILE [--json]                       the workspace as a signed archive (0600)
  import FILE --data DIR [--keys-from OLD_DATA_DIR] [--json]
                                                   a new data directory from an archive, checked whole
                                                   first (a changed byte or a partial archive is refused
                                                   and nothing is written); --keys-from copies the owner's
                                                   and the relay's keys from the old data directory
  backup --to DIR [--keep 7] [--every 6h] [--json] an archive into DIR, keeping the newest N; with
                                                   --every it keeps running and takes one each period
  reset [--data .vivarium] --yes [--json]          a fresh, empty workspace (the relay stopped): the old
                                                   one is archived and kept in DATA/before-reset-TIME/
Running as a service (systemd; the command's own flags follow, checked as it checks them):
  service install relay|worker [--system] [--unit-dir DIR] [--dry-run] [--json] [FLAGS]
                                                   writes, enables and starts a unit that restarts on
                                                   failure, logs to the journal, and on stop saves (relay)
                                                   or gives running tasks back (worker); a token and the
                                                   model key go to a 0600 environment file, never the unit;
                                                   --dry-run prints the unit and writes nothing
Operators:
  pair      [--relay ws://host:port --token T] [--json]
                                                   make this terminal act as you: shows a short code
                                                   you confirm in the control panel (Settings)
  operator list [--json]                           operators, their approval and the owner
  operator approve NAME | operator revoke NAME     the workspace owner admits or removes an operator

start and relay listen on --port, else VIVARIUM_PORT, else 8420 (0: any free port).

Peer commands find the relay from --relay ws://host:port and --token SECRET, else from
VIVARIUM_RELAY and VIVARIUM_TOKEN, else from the local data dir (--data, default .vivarium).
Next to the relay's data dir they act as the workspace owner (its key is kept there);
elsewhere as the operator this terminal is paired with ('vivarium pair'; the terminal's key
is kept under VIVARIUM_HOME, default ~/.vivarium).

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or a refusal (which says what to do next; with
--json it is {"error": {"code", "message", "next"}} on stdout).`

type Command = (argv: string[]) => Promise<number>
type Subcommands = Record<string, Command>

/** The lines of HELP about `name` (its usage lines and their continuations), or all of HELP. */
function usageOf(name: string): string {
  const lines: string[] = []
  let inside = false
  for (const line of HELP.split("\n")) {
    if (/^ {2}\S/.test(line)) inside = line.slice(2).startsWith(`${name} `) || line.slice(2) === name
    else if (!line.startsWith("   ")) inside = false
    if (inside) lines.push(line)
  }
  if (!lines.length) return HELP
  return [`Usage: vivarium ${name} …`, "", ...lines, "", "Connection flags, the environment and exit codes: vivarium --help"].join("\n")
}

/** A command with subcommands (`task add`, `room post` …), loaded when it runs. */
function group(name: string, load: () => Promise<Subcommands>): Command {
  return async argv => {
    const [sub, ...rest] = argv
    if (!sub || sub === "--help" || sub === "-h") {
      console.log(usageOf(name))
      return sub ? 0 : 2
    }
    const subcommands = await load()
    const run = subcommands[sub]
    if (!run) throw new CliError(`${name}: unknown subcommand '${sub}' (expected ${Object.keys(subcommands).join(", ")})`)
    return run(rest)
  }
}

const COMMANDS: Record<string, Command> = {
  start: async argv => (await import("./commands/relay.ts")).runRelayCommand("start", argv),
  relay: async argv => (await import("./commands/relay.ts")).runRelayCommand("relay", argv),
  "join-link": async argv => (await import("./commands/joinLink.ts")).runJoinLink(argv),
  status: async argv => (await import("./commands/status.ts")).runStatus(argv),
  worker: async argv => (await import("./commands/worker.ts")).runWorkerCommand(argv),
  halt: async argv => (await import("./commands/control.ts")).killSwitchCommand(true)(argv),
  resume: async argv => (await import("./commands/control.ts")).killSwitchCommand(false)(argv),
  audit: async argv => (await import("./commands/audit.ts")).runAuditCommand(argv),
  key: async argv => (await import("./commands/key.ts")).runKeyCommand(argv),
  operator: async argv => (await import("./commands/operator.ts")).runOperatorCommand(argv),
  pair: async argv => (await import("./commands/pair.ts")).runPair(argv),
  task: group("task", async () => ({ ...(await import("./commands/task.ts")).TASK_SUBCOMMANDS, ...(await import("./commands/review.ts")).REVIEW_SUBCOMMANDS })),
  resident: group("resident", async () => (await import("./commands/resident.ts")).RESIDENT_SUBCOMMANDS),
  room: group("room", async () => (await import("./commands/room.ts")).ROOM_SUBCOMMANDS),
  mail: group("mail", async () => (await import("./commands/mail.ts")).MAIL_SUBCOMMANDS),
  quest: group("quest", async () => (await import("./commands/quest.ts")).QUEST_SUBCOMMANDS),
  bounty: group("bounty", async () => (await import("./commands/bounty.ts")).BOUNTY_SUBCOMMANDS),
  wallet: group("wallet", async () => (await import("./commands/wallet.ts")).WALLET_SUBCOMMANDS),
  plan: group("plan", async () => (await import("./commands/plan.ts")).PLAN_SUBCOMMANDS),
  skill: group("skill", async () => (await import("./commands/skill.ts")).SKILL_SUBCOMMANDS),
  hat: group("hat", async () => (await import("./commands/hat.ts")).HAT_SUBCOMMANDS),
  proposal: group("proposal", async () => (await import("./commands/proposal.ts")).PROPOSAL_SUBCOMMANDS),
  request: group("request", async () => (await import("./commands/request.ts")).REQUEST_SUBCOMMANDS),
  onetime: group("onetime", async () => (await import("./commands/onetime.ts")).ONETIME_SUBCOMMANDS),
  artifact: group("artifact", async () => (await import("./commands/artifact.ts")).ARTIFACT_SUBCOMMANDS),
  journal: group("journal", async () => (await import("./commands/journal.ts")).JOURNAL_SUBCOMMANDS),
  guild: group("guild", async () => (await import("./commands/guild.ts")).GUILD_SUBCOMMANDS),
  dispute: group("dispute", async () => (await import("./commands/dispute.ts")).DISPUTE_SUBCOMMANDS),
  loop: group("loop", async () => (await import("./commands/proposal.ts")).LOOP_SUBCOMMANDS),
  snapshot: group("snapshot", async () => (await import("./commands/snapshot.ts")).SNAPSHOT_SUBCOMMANDS),
  export: async argv => (await import("./commands/archive.ts")).runExport(argv),
  import: async argv => (await import("./commands/archive.ts")).runImport(argv),
  backup: async argv => (await import("./commands/archive.ts")).runBackup(argv),
  reset: async argv => (await import("./commands/reset.ts")).runReset(argv),
  service: group("service", async () => (await import("./commands/service.ts")).SERVICE_SUBCOMMANDS),
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
      console.log(usageOf(name))
      return 0
    }
    showProgress(`vivarium ${name}: loading…`)
    return await command(rest)
  } catch (error) {
    const json = rest.includes("--json")
    if (error instanceof UserError) return report(error.describe(), json)
    if (error instanceof CliError) {
      if (json) return report({ code: "usage", message: error.message, next: "See vivarium --help." }, json, error.exitCode)
      console.error(`vivarium: ${error.message}`)
      return error.exitCode
    }
    // zod is loaded by then if it threw; importing it here keeps it off the --help path.
    const { ZodError } = await import("zod")
    if (error instanceof ZodError) {
      console.error(`vivarium: ${error.issues[0]?.path.join(".")}: ${error.issues[0]?.message}`)
      return 2
    }
    console.error(`vivarium: ${(error as Error).message}`)
    return 1
  } finally {
    clearProgress()
  }
}

/** A refusal: the sentence and the next step on one line, or JSON on stdout for --json. */
function report(error: ErrorDescription, json: boolean, exitCode = 2): number {
  if (json) console.log(JSON.stringify({ error }))
  else console.error(`vivarium: ${error.message} ${error.next}`)
  return exitCode
}
