/**
 * `vivarium service install relay|worker`: writes a systemd unit that runs this relay or worker
 * with the flags given here (checked as the command itself checks them), enables and starts it.
 * A token goes into an environment file only its owner reads, never into the unit; so does the
 * model key a worker finds in the environment at install time. --dry-run prints the unit and
 * writes nothing.
 */
import { execFileSync } from "node:child_process"
import { chmodSync, mkdirSync, writeFileSync } from "node:fs"
import { homedir, userInfo } from "node:os"
import { dirname, join, resolve } from "node:path"
import { parseArgs } from "node:util"
import { z } from "zod"
import { packagePath } from "../../peer-server/packagePath.ts"
import { parseFlags, takePositionals, type FlagSpec } from "../args.ts"
import { resolveConnection } from "../connection.ts"
import { CliError } from "../errors.ts"
import { renderUnit, ServiceRole, unitName, type ServiceScope } from "../systemdUnit.ts"
import { RELAY_FLAGS, RelayInput } from "./relay.ts"
import { WORKER_FLAGS, WorkerInput } from "./worker.ts"

const SERVICE_FLAGS = {
  system: { type: "boolean", default: false },
  "unit-dir": { type: "string" },
  "dry-run": { type: "boolean", default: false },
  json: { type: "boolean", default: false },
} as const
const ServiceInput = z.object({
  system: z.boolean(),
  "unit-dir": z.string().min(1).optional(),
  "dry-run": z.boolean(),
  json: z.boolean(),
})

/** Flags whose values are paths: written absolute, as a service does not start where the command ran. */
const PATH_FLAGS = new Set(["data", "cert", "key"])
/** Environment a worker's model calls need, carried into the environment file when set at install. */
const MODEL_ENV = ["GROQ_API_KEY", "GROQ_BASE_URL"] as const

interface Plan {
  role: ServiceRole
  scope: ServiceScope
  unitPath: string
  unit: string
  environmentFile?: string
  /** Variable names the environment file holds (their values are never printed). */
  environment: string[]
}

/** Splits the service's own flags from the role's: `--unit-dir DIR` takes its value along. */
function splitFlags(argv: string[]): [string[], string[]] {
  const own: string[] = []
  const role: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const name = arg.split("=")[0]!.slice(2)
    if (!arg.startsWith("--") || !(name in SERVICE_FLAGS)) role.push(arg)
    else if (name === "unit-dir" && !arg.includes("=")) own.push(arg, ...(argv[i + 1] !== undefined ? [argv[++i]!] : []))
    else own.push(arg)
  }
  return [own, role]
}

/** The role's flags as given (defaults filled in), paths absolute and the token left out. */
function roleArgs(argv: string[], spec: FlagSpec): string[] {
  const { values } = parseArgs({ args: argv, options: spec, strict: true, allowPositionals: false })
  const args: string[] = []
  for (const [name, value] of Object.entries(values)) {
    if (name === "token" || value === false || value === undefined) continue
    if (value === true) args.push(`--${name}`)
    else args.push(`--${name}`, PATH_FLAGS.has(name) ? resolve(String(value)) : String(value))
  }
  return args
}

function planInstall(argv: string[], env: NodeJS.ProcessEnv): Plan & { flags: z.infer<typeof ServiceInput>; environmentValues: Record<string, string> } {
  const [[roleName], rest] = takePositionals("service install", argv, ["relay|worker"])
  const role = ServiceRole.safeParse(roleName)
  if (!role.success) throw new CliError(`service install: expected relay or worker, got '${roleName}'`)
  const [own, given] = splitFlags(rest)
  const flags = parseFlags("service install", own, SERVICE_FLAGS, ServiceInput)
  const scope: ServiceScope = flags.system ? "system" : "user"
  const environmentValues: Record<string, string> = {}
  let args: string[]
  let dataDir: string
  if (role.data === "relay") {
    const relay = parseFlags("service install relay", given, RELAY_FLAGS, RelayInput)
    dataDir = resolve(relay.data)
    const token = relay.token ?? (relay.follow ? env.VIVARIUM_TOKEN : undefined)
    if (token) environmentValues.VIVARIUM_TOKEN = token
    args = roleArgs(given, RELAY_FLAGS)
  } else {
    const worker = parseFlags("service install worker", given, WORKER_FLAGS, WorkerInput)
    // The relay and its secret as the worker would find them now, written down for the service.
    const { relay, token } = resolveConnection({ ...(worker.relay ? { relay: worker.relay } : {}), ...(worker.token ? { token: worker.token } : {}) }, env)
    dataDir = resolve(worker.data ?? ".vivarium-worker")
    environmentValues.VIVARIUM_TOKEN = token
    for (const name of MODEL_ENV) if (env[name]) environmentValues[name] = env[name]!
    args = roleArgs([...given.filter((_, i) => !isFlag(given, i, "relay")), "--relay", relay, ...(worker.data ? [] : ["--data", dataDir])], WORKER_FLAGS)
  }
  const environment = Object.keys(environmentValues)
  const environmentFile = environment.length ? join(dataDir, `${role.data}.service.env`) : undefined
  const unitDir = resolve(flags["unit-dir"] ?? (scope === "user" ? join(homedir(), ".config/systemd/user") : "/etc/systemd/system"))
  const entry = packagePath("bin", "vivarium.js")
  const unit = renderUnit({
    role: role.data,
    scope,
    node: process.execPath,
    entry,
    args,
    workingDirectory: packagePath(),
    ...(environmentFile ? { environmentFile } : {}),
    ...(scope === "system" ? { user: userInfo().username } : {}),
  })
  return { role: role.data, scope, unitPath: join(unitDir, unitName(role.data)), unit, environment, environmentValues, flags, ...(environmentFile ? { environmentFile } : {}) }
}

/** Whether argv[i] is `--name` or `--name=…`, or the value right after `--name`. */
function isFlag(argv: string[], i: number, name: string): boolean {
  const is = (a: string | undefined) => a === `--${name}` || a?.startsWith(`--${name}=`)
  return is(argv[i]) || (argv[i - 1] === `--${name}` && !argv[i]!.startsWith("--"))
}

/** Enables and starts the unit; a machine without a running systemd is told what to run instead. */
function enable(plan: Plan): { enabled: boolean; note: string } {
  const systemctl = plan.scope === "user" ? ["--user"] : []
  const name = unitName(plan.role)
  try {
    execFileSync("systemctl", [...systemctl, "daemon-reload"], { stdio: "pipe" })
    execFileSync("systemctl", [...systemctl, "enable", "--now", name], { stdio: "pipe" })
    return { enabled: true, note: `enabled and started ${name}: logs with 'journalctl ${plan.scope === "user" ? "--user " : ""}-u ${name} -f'` }
  } catch (error) {
    const said = String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim().split("\n")[0]
    return { enabled: false, note: `systemctl could not enable it (${said}); where systemd runs: systemctl ${systemctl.join(" ")}${systemctl.length ? " " : ""}daemon-reload && systemctl ${systemctl.join(" ")}${systemctl.length ? " " : ""}enable --now ${name}` }
  }
}

async function install(argv: string[]): Promise<number> {
  const plan = planInstall(argv, process.env)
  const summary = { role: plan.role, scope: plan.scope, unitPath: plan.unitPath, environmentFile: plan.environmentFile ?? null, environment: plan.environment }
  if (plan.flags["dry-run"]) {
    if (plan.flags.json) console.log(JSON.stringify({ ...summary, dryRun: true, unit: plan.unit }))
    else {
      console.log(`# would write ${plan.unitPath}`)
      if (plan.environmentFile) console.log(`# and ${plan.environmentFile} (mode 0600) with ${plan.environment.join(", ")}`)
      console.log(plan.unit)
    }
    return 0
  }
  if (plan.environmentFile) {
    mkdirSync(dirname(plan.environmentFile), { recursive: true, mode: 0o700 })
    writeFileSync(plan.environmentFile, Object.entries(plan.environmentValues).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join("\n") + "\n", { mode: 0o600 })
    chmodSync(plan.environmentFile, 0o600)
  }
  mkdirSync(dirname(plan.unitPath), { recursive: true })
  writeFileSync(plan.unitPath, plan.unit)
  const enabled = enable(plan)
  if (plan.flags.json) console.log(JSON.stringify({ ...summary, dryRun: false, ...enabled }))
  else console.log([`wrote ${plan.unitPath}`, ...(plan.environmentFile ? [`wrote ${plan.environmentFile} (mode 0600: ${plan.environment.join(", ")})`] : []), enabled.note].join("\n"))
  return 0
}

export const SERVICE_SUBCOMMANDS = { install }
