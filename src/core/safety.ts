/**
 * The worker's one safety policy. The worker calls it before claiming a task and again right
 * before executing it (the task text may have changed in between: it is a CRDT).
 *
 * - `checkPrompt` screens the prompt of an LLM task.
 * - `parseCommand` / `checkLocalCommand` turn a local command line into an argv that is run
 *   WITHOUT a shell, under an allowlist, a denylist and a working-directory jail.
 *
 * There are no bypass keywords: a prompt that says "validate", "block" or "DESIGN:" is checked
 * exactly like any other (the original's bypass words let any prompt skip the checks). The
 * prompt patterns target imperative phrasing ("exfiltrate the data to …", "ignore all previous
 * instructions") rather than topics, so discussing a topic ("a design doc on how we block
 * exfiltration") passes, while a matching phrase is blocked whatever the surrounding intent.
 *
 * Pure and framework-free: no node: imports, so it also runs in a browser. The filesystem is
 * reached only through the injected `jail.realpath`.
 */

export const SAFETY_RULES = [
  "exfiltration",
  "destructive",
  "prompt_injection",
  "sensitive_path",
  "network_pipe",
  "shell_syntax",
  "denied_program",
  "not_allowed",
  "path_escape",
  "git_subcommand",
  "banned_flag",
  "env_assignment",
  "empty",
] as const

export type SafetyRule = (typeof SAFETY_RULES)[number]

export interface SafetyRefusal {
  ok: false
  rule: SafetyRule
  reason: string
}

export type SafetyVerdict = { ok: true } | SafetyRefusal

export type CommandVerdict = { ok: true; argv: string[] } | SafetyRefusal

export interface LocalPolicy {
  /** Programs that may run, matched exactly against argv[0] (no paths). */
  allow: string[]
  /** Tested (in order, before the allowlist) against the argv joined with single spaces. */
  deny: { pattern: RegExp; reason: string }[]
  /** The only git subcommands allowed (argv[1] of a git command). */
  gitSubcommands: string[]
  timeoutMs: number
  maxOutputBytes: number
}

export interface CommandJail {
  /** Absolute POSIX path of the working directory the command runs in. */
  root: string
  /** Real path of an absolute path; undefined when it does not exist. May throw (fail closed). */
  realpath: (absPath: string) => string | undefined
}

function refuse(rule: SafetyRule, reason: string): SafetyRefusal {
  return { ok: false, rule, reason }
}

function excerpt(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

// ---------------------------------------------------------------------------------------------
// Prompt checks
// ---------------------------------------------------------------------------------------------

interface PromptPattern {
  rule: SafetyRule
  pattern: RegExp
  /** Completes "The prompt …". */
  what: string
}

/** Words that may sit between a verb and its object: "send (all of the) secrets to". */
const FILLER = String.raw`(?:[\w'.-]+\s+){0,3}?`
const SECRET_NOUN = String.raw`(?:secrets?|credentials?|api[\s_-]?keys?|access[\s_-]?tokens?|auth(?:entication)?[\s_-]?tokens?|tokens|passwords?|private[\s_-]?keys?|ssh[\s_-]?keys?|env(?:ironment)?[\s_-]?(?:vars?|variables?|files?)|\.env)`

/**
 * Checked in this order; the first match is reported. Every quantifier is bounded, so a long
 * prompt cannot make a pattern backtrack badly.
 */
const PROMPT_PATTERNS: PromptPattern[] = [
  // --- prompt injection ---
  {
    rule: "prompt_injection",
    what: "tries to override its instructions (prompt injection)",
    pattern: new RegExp(
      String.raw`\b(?:ignore|disregard|forget|skip)\s+(?:(?:all|any|every|the|your|my|of|these|those)\s+){0,3}(?:previous|prior|above|earlier|preceding|former|original|system)\s+(?:instructions?|prompts?|directions?|rules|messages?|context|guidelines)\b`,
      "i",
    ),
  },
  {
    rule: "prompt_injection",
    what: "tries to override its instructions (prompt injection)",
    pattern: /\bdisregard\s+(?:(?:all|everything|anything)\s+)?(?:(?:of\s+)?the\s+)?above\b/i,
  },
  {
    rule: "prompt_injection",
    what: "tries to override its instructions (prompt injection)",
    pattern: /\bforget\s+(?:everything|all\s+(?:of\s+)?(?:your|the|previous|prior)\s+(?:instructions|rules))\b/i,
  },
  {
    rule: "prompt_injection",
    what: "tries to override its constraints (prompt injection)",
    pattern: new RegExp(
      String.raw`\boverride\s+(?:(?:your|the|all|any|these|those|its|my)\s+){0,2}(?:(?:safety|system|security|previous)\s+)?(?:constraints?|rules|instructions|guardrails?|restrictions?|guidelines|polic(?:y|ies)|safeguards?)\b`,
      "i",
    ),
  },
  {
    rule: "prompt_injection",
    what: "contains chat-template control tokens (prompt injection)",
    pattern: /<\/\s*system\s*>|<\|\s*(?:im_start|im_end|system|endoftext)\s*\|>|<<\s*\/?\s*SYS\s*>>|\[\/?INST\]/i,
  },
  {
    rule: "prompt_injection",
    what: "contains a jailbreak phrase (prompt injection)",
    pattern:
      /\byou\s+are\s+now\s+(?:DAN\b|in\s+(?:developer|god|jailbreak|unrestricted)\s+mode\b|jailbroken\b|unrestricted\b|unfiltered\b|free\s+(?:of|from)\s+(?:all\s+)?(?:restrictions|rules)\b)|\bdo\s+anything\s+now\b|\b(?:developer|jailbreak)\s+mode\s+(?:enabled|activated|on)\b/i,
  },
  // --- exfiltration ---
  {
    rule: "exfiltration",
    what: "asks to exfiltrate data",
    pattern: /\bexfiltrat(?:e|es|ed|ing)\b[\s\S]{0,80}?\b(?:to|via|over|through|into)\b/i,
  },
  {
    rule: "exfiltration",
    what: "asks to send secrets or credentials somewhere",
    pattern: new RegExp(
      String.raw`\b(?:send|sending|post|posting|transmit|transmitting|forward|forwarding|leak|leaking|e-?mail|emailing)\s+${FILLER}${SECRET_NOUN}(?![\w-])[^.!?\n]{0,40}?\b(?:to|into)\b`,
      "i",
    ),
  },
  {
    rule: "exfiltration",
    what: "asks to upload secrets or credentials",
    pattern: new RegExp(String.raw`\bupload(?:s|ed|ing)?\s+${FILLER}${SECRET_NOUN}(?![\w-])`, "i"),
  },
  {
    rule: "exfiltration",
    what: "asks to phone home",
    pattern: /\bphon(?:e|es|ed|ing)[\s-]+home\b/i,
  },
  {
    rule: "exfiltration",
    what: "asks to self-replicate outside the workspace",
    pattern:
      /\bself[\s_-]*(?:replicat|propagat|cop(?:y|ie))\w*\b[\s\S]{0,60}?\b(?:external|remote|other|another|outside|internet|network)\b|\b(?:replicate|copy|clone)\s+yourself\b/i,
  },
  // --- network piping (remote code execution) ---
  {
    rule: "network_pipe",
    what: "pipes a download straight into an interpreter",
    pattern:
      /\b(?:curl|wget)\b[^|]{0,200}\|\s*(?:sudo\s+)?(?:(?:ba|z|da|k|c|tc|fi)?sh|python[\d.]*|perl|ruby|node|php)\b/i,
  },
  {
    rule: "network_pipe",
    what: "runs a download straight in a shell",
    pattern: /\b(?:ba|z|da)?sh\s+(?:-c\s+)?["']?\s*(?:<\(|\$\()\s*(?:curl|wget)\b|\b(?:iex|invoke-expression)\b[\s\S]{0,40}?\b(?:iwr|irm|invoke-webrequest|invoke-restmethod|downloadstring)\b/i,
  },
  // --- destructive intent ---
  {
    rule: "destructive",
    what: "asks to delete the filesystem",
    pattern: /\brm\s+(?:-[\w-]+\s+){1,4}(?:\/\*?|~\/?\*?|\*|\$HOME\/?\*?)(?=\s|$|[;,&|)"'`])/i,
  },
  {
    rule: "destructive",
    what: "asks to delete everything",
    pattern: /\bdelete\s+(?:(?:all|every|each)\s+(?:of\s+)?(?:the\s+|your\s+|my\s+)?files\b|everything\b)/i,
  },
  {
    rule: "destructive",
    what: "asks to wipe a disk or system",
    pattern:
      /\bwipe\s+(?:(?:the|your|my|all|this|that|entire|whole|out)\s+){0,3}(?:hard\s+)?(?:disks?|drives?|filesystems?|file\s+systems?|partitions?|machines?|servers?|computers?|system)\b/i,
  },
  {
    rule: "destructive",
    what: "asks to format a disk",
    pattern: /\bformat\s+c:|\bformat\s+(?:the\s+|your\s+)?(?:hard\s+)?(?:disk|drive)\b/i,
  },
  {
    rule: "destructive",
    what: "asks to drop a database",
    pattern: /\bdrop\s+(?:database|schema)\b/i,
  },
  {
    rule: "destructive",
    what: "asks to create a filesystem over a disk (mkfs)",
    pattern: /\bmkfs(?:\.\w+)?\b/i,
  },
  {
    rule: "destructive",
    what: "asks to overwrite a raw disk",
    pattern: /\bdd\s+[^\n]{0,80}?\bof=\/dev\/(?:sd|hd|nvme|disk|xvd|vd|mmcblk)/i,
  },
  {
    rule: "destructive",
    what: "asks to force-delete files (del /f /s /q)",
    pattern: /\bdel\s+(?:\/[fsq]\s*){2,3}/i,
  },
  {
    rule: "destructive",
    what: "contains a fork bomb",
    pattern: /:\s*\(\s*\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:/,
  },
  // --- sensitive paths ---
  {
    rule: "sensitive_path",
    what: "refers to a sensitive system file",
    pattern:
      /\/etc\/(?:passwd|shadow|gshadow|sudoers)\b|\.ssh[\\/]+(?:id_|authorized_keys)|\.aws[\\/]+credentials\b|\/proc\/(?:self|\d+)\/environ\b|\bc:[\\/]+windows[\\/]+system32\b/i,
  },
]

/** Characters that render as nothing; stripped so "ig\u200Bnore" still reads "ignore". */
const INVISIBLE = /[\u00AD\u180E\u200B-\u200F\u2060-\u2064\uFEFF]/g

/**
 * Screens the prompt of an LLM task. Case-insensitive, tolerant of extra whitespace, of
 * full-width/compatibility characters (NFKC) and of zero-width characters.
 */
export function checkPrompt(text: string): SafetyVerdict {
  const normalized = text.normalize("NFKC").replace(INVISIBLE, "")
  if (normalized.trim() === "") return refuse("empty", "The prompt is empty.")
  for (const { rule, pattern, what } of PROMPT_PATTERNS) {
    const match = pattern.exec(normalized)
    if (match) return refuse(rule, `The prompt ${what}: it contains "${excerpt(match[0])}".`)
  }
  return { ok: true }
}

// ---------------------------------------------------------------------------------------------
// Local command policy
// ---------------------------------------------------------------------------------------------

/** A program name as a whole token of the joined argv, also when given as a path (/usr/bin/nc). */
function programToken(names: string): RegExp {
  return new RegExp(String.raw`(?:^|\s)(?:\S*/)?(?:${names})(?=\s|$)`, "i")
}

function denyProgram(name: string, why: string): { pattern: RegExp; reason: string } {
  return { pattern: programToken(name), reason: `"${name}" is denied: ${why}.` }
}

const NETWORK = "network access is not allowed for local commands"

export const DEFAULT_LOCAL_POLICY: LocalPolicy = {
  allow: ["ls", "cat", "echo", "pwd", "rg", "git"],
  deny: [
    ...["curl", "wget", "nc", "ncat", "netcat", "socat", "telnet", "ssh", "scp", "sftp", "ftp"].map(name =>
      denyProgram(name, NETWORK),
    ),
    {
      pattern: /(?:^|\s)(?:\S*\/)?rm\s+(?:-\S+\s+)*-(?:-recursive|-force|[a-zA-Z]*[rRf][a-zA-Z]*)(?=\s|$)/,
      reason: `"rm -rf" is denied: recursive or forced deletion is not allowed.`,
    },
    denyProgram("dd", "raw disk copies are not allowed"),
    {
      pattern: /(?:^|\s)(?:\S*\/)?mkfs(?:\.\S*)?(?=\s|$)/i,
      reason: `"mkfs" is denied: creating filesystems is not allowed.`,
    },
    ...["shutdown", "reboot", "poweroff", "halt"].map(name =>
      denyProgram(name, "stopping or restarting the machine is not allowed"),
    ),
    {
      pattern: /(?:^|\s)(?:\S*\/)?python[\d.]*\s+(?:-\S+\s+)*-m\s*http\.server(?=\s|$)/i,
      reason: `"python -m http.server" is denied: serving files over the network is not allowed.`,
    },
  ],
  gitSubcommands: ["status", "log", "diff"],
  timeoutMs: 30_000,
  maxOutputBytes: 64 * 1024,
}

const OPERATORS: readonly [string, string][] = [
  ["&&", "command chaining"],
  ["||", "command chaining"],
  [";;", "case terminator"],
  ["|&", "pipe"],
  ["&>>", "redirection"],
  ["&>", "redirection"],
  ["<<<", "here-string"],
  ["<<", "here-document"],
  ["<(", "process substitution"],
  [">(", "process substitution"],
  [">>", "redirection"],
  [">&", "redirection"],
  [">|", "redirection"],
  ["<&", "redirection"],
  ["<>", "redirection"],
  [";", "command separator"],
  ["|", "pipe"],
  ["&", "background job"],
  [">", "redirection"],
  ["<", "redirection"],
  ["(", "subshell"],
  [")", "subshell"],
]

const NO_SHELL = "commands run as a single program without a shell"

function operatorRefusal(command: string, i: number): SafetyRefusal | undefined {
  for (const [op, name] of OPERATORS) {
    if (command.startsWith(op, i)) {
      return refuse("shell_syntax", `Shell operator "${op}" (${name}) is not allowed: ${NO_SHELL}.`)
    }
  }
  return undefined
}

function dollarRefusal(command: string, i: number, inDoubleQuotes: boolean): SafetyRefusal {
  const next = command[i + 1] ?? ""
  const where = inDoubleQuotes ? " (also inside double quotes)" : ""
  let what: string
  if (next === "(") what = `"$(" (command substitution)`
  else if (next === "{") what = `"\${" (parameter expansion)`
  else if (/[A-Za-z_]/.test(next)) {
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(command.slice(i + 1))?.[0] ?? next
    what = `"$${name}" (variable expansion)`
  } else if (next === "'") what = `"$'…'" (ANSI-C quoting)`
  else what = `"$" (expansion)`
  return refuse(
    "shell_syntax",
    `${what} is not allowed${where}: ${NO_SHELL}, so nothing is expanded. Use single quotes for a literal "$".`,
  )
}

function isControl(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f)
}

/**
 * Splits a command line into argv for execution without a shell. Supports plain words,
 * '…' (literal), "…" (literal except \" \\ \$) and a backslash escaping the next character.
 * Everything a shell would interpret is refused rather than emulated: operators, expansions,
 * backticks (even quoted), globs, comments, a leading "~", newlines, control characters,
 * unterminated quotes and leading VAR=value assignments.
 */
export function parseCommand(command: string): CommandVerdict {
  if (command.trim() === "") return refuse("empty", "The command is empty.")
  for (let k = 0; k < command.length; k++) {
    const code = command.charCodeAt(k)
    if (code === 0x0a || code === 0x0d) {
      return refuse("shell_syntax", `Newlines are not allowed: a command is one line and ${NO_SHELL}.`)
    }
    if (command[k] === "`") {
      return refuse("shell_syntax", `Backticks (command substitution) are not allowed, even inside quotes: ${NO_SHELL}.`)
    }
    if (isControl(code) && code !== 0x09) {
      const hex = code.toString(16).toUpperCase().padStart(4, "0")
      return refuse("shell_syntax", `Control characters are not allowed (found U+${hex}).`)
    }
  }

  const argv: string[] = []
  /** The word being built; null between words. An empty quoted word ('') is a word. */
  let word: string | null = null
  let i = 0
  const n = command.length
  while (i < n) {
    const c = command[i]!
    if (c === " " || c === "\t") {
      if (word !== null) argv.push(word)
      word = null
      i++
    } else if (c === "'") {
      const end = command.indexOf("'", i + 1)
      if (end < 0) return refuse("shell_syntax", "Unterminated single quote.")
      word = (word ?? "") + command.slice(i + 1, end)
      i = end + 1
    } else if (c === '"') {
      let j = i + 1
      let out = ""
      for (;;) {
        if (j >= n) return refuse("shell_syntax", "Unterminated double quote.")
        const d = command[j]!
        if (d === '"') break
        if (d === "\\") {
          const e = command[j + 1]
          if (e === '"' || e === "\\" || e === "$") {
            out += e
            j += 2
          } else {
            out += "\\"
            j++
          }
        } else if (d === "$") {
          return dollarRefusal(command, j, true)
        } else {
          out += d
          j++
        }
      }
      word = (word ?? "") + out
      i = j + 1
    } else if (c === "\\") {
      const e = command[i + 1]
      if (e === undefined) return refuse("shell_syntax", "A trailing backslash escapes nothing.")
      word = (word ?? "") + e
      i += 2
    } else {
      const op = operatorRefusal(command, i)
      if (op) return op
      if (c === "$") return dollarRefusal(command, i, false)
      if (c === "#" && word === null) {
        return refuse("shell_syntax", `Comments ("#") are not allowed; quote the argument if the "#" is literal.`)
      }
      if (c === "*" || c === "?" || c === "[") {
        return refuse(
          "shell_syntax",
          `Wildcard "${c}" is not expanded (${NO_SHELL}); quote the argument if it is literal, or name the files.`,
        )
      }
      if (c === "~" && word === null) {
        return refuse("shell_syntax", `A leading "~" is not expanded (${NO_SHELL}); use a path relative to the working directory.`)
      }
      word = (word ?? "") + c
      i++
    }
  }
  if (word !== null) argv.push(word)

  if (argv.length === 0) return refuse("empty", "The command is empty.")
  const assignment = /^[A-Za-z_][A-Za-z0-9_]*=/.exec(argv[0]!)
  if (assignment) {
    return refuse(
      "env_assignment",
      `Environment assignments ("${excerpt(argv[0]!, 40)}") are not allowed: the environment of local commands is fixed.`,
    )
  }
  return { ok: true, argv }
}

// --- POSIX paths (pure; no node:path so this runs in a browser) ---

/** Normalizes "." / ".." / repeated slashes. ".." never climbs above "/" for absolute paths. */
export function normalizePosixPath(path: string): string {
  const absolute = path.startsWith("/")
  const out: string[] = []
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue
    if (segment === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop()
      else if (!absolute) out.push("..")
      continue
    }
    out.push(segment)
  }
  const body = out.join("/")
  return absolute ? `/${body}` : body || "."
}

/** `arg` as seen from `root` (absolute arguments stay as they are). */
function joinRaw(root: string, arg: string): string {
  return arg.startsWith("/") ? arg : `${root.replace(/\/+$/, "")}/${arg}`
}

/** True when `path` is `root` or below it (not a sibling that merely shares the prefix). */
export function isWithinRoot(root: string, path: string): boolean {
  const r = normalizePosixPath(root)
  const p = normalizePosixPath(path)
  if (r === "/") return p.startsWith("/")
  return p === r || p.startsWith(`${r}/`)
}

// --- per-program argument rules ---

interface ProgramRules {
  /** Whether operands (non-flag arguments) name files that must stay in the jail. */
  pathOperands: boolean
  /** Long flags refused, matched on the name before "=". */
  bannedLong?: readonly string[]
  /** Long flags whose every variant starting with this prefix is refused. */
  bannedLongPrefixes?: readonly string[]
  /** Also refuse unambiguous abbreviations (git accepts "--out" for "--output"). */
  abbreviations?: { minLength: number; realOptions: readonly string[] }
  /** Short flag letters refused anywhere in a "-abc" cluster. */
  bannedShort?: string
  why?: string
}

const PROGRAM_RULES: Record<string, ProgramRules> = {
  echo: { pathOperands: false },
  pwd: { pathOperands: false },
  cat: { pathOperands: true },
  ls: {
    pathOperands: true,
    bannedLong: ["--dereference"],
    bannedShort: "L",
    why: "following symlinks could list files outside the working directory",
  },
  rg: {
    pathOperands: true,
    bannedLong: ["--hidden", "--glob", "--iglob", "--pre", "--pre-glob", "--unrestricted", "--follow"],
    bannedLongPrefixes: ["--no-ignore"],
    bannedShort: "g.uL",
    why: "it would search hidden or ignored files, follow symlinks, or run a preprocessor",
  },
  git: {
    pathOperands: true,
    bannedLong: ["--output", "--ext-diff", "--textconv", "--no-index", "--show-signature", "--orderfile"],
    abbreviations: { minLength: 4, realOptions: ["--text"] },
    bannedShort: "O",
    why: "it could write files, run external programs or read files outside the repository",
  },
}

/** Rules for a program a custom policy allows but this module does not know: all operands are paths. */
const UNKNOWN_PROGRAM: ProgramRules = { pathOperands: true }

function bannedFlag(program: string, flag: string, rules: ProgramRules): SafetyRefusal | undefined {
  const because = rules.why ? `: ${rules.why}` : ""
  if (flag.startsWith("--")) {
    const name = flag.split("=", 1)[0]!
    const exact = rules.bannedLong?.includes(name) ?? false
    const prefixed = rules.bannedLongPrefixes?.some(p => name.startsWith(p)) ?? false
    const abbrev =
      rules.abbreviations !== undefined &&
      name.length >= rules.abbreviations.minLength &&
      !rules.abbreviations.realOptions.includes(name) &&
      (rules.bannedLong?.some(b => b.startsWith(name)) ?? false)
    if (exact || prefixed || abbrev) {
      return refuse("banned_flag", `The flag "${excerpt(flag, 40)}" is not allowed for ${program}${because}.`)
    }
    return undefined
  }
  const letters = flag.slice(1)
  for (const letter of rules.bannedShort ?? "") {
    if (letters.includes(letter)) {
      return refuse("banned_flag", `The flag "-${letter}" (in "${excerpt(flag, 40)}") is not allowed for ${program}${because}.`)
    }
  }
  return undefined
}

function parentOf(realPath: string): string {
  const cut = realPath.lastIndexOf("/")
  return cut <= 0 ? "/" : realPath.slice(0, cut)
}

/**
 * Where the OS would really take `arg`, resolved segment by segment from the real root:
 * ".." is applied to the real path reached so far, as the kernel does ("link/.." is the
 * parent of the link's target). This does not depend on how `realpath` treats "..", which
 * matters: Node's fs.realpathSync (the JS one) normalizes "link/.." lexically first.
 * Undefined when a segment does not exist (the command then fails on its own).
 */
function resolveReal(realRoot: string, arg: string, realpath: CommandJail["realpath"]): string | undefined {
  let current = arg.startsWith("/") ? "/" : realRoot
  for (const segment of arg.split("/")) {
    if (segment === "" || segment === ".") continue
    if (segment === "..") {
      current = parentOf(current)
      continue
    }
    const next = realpath(current === "/" ? `/${segment}` : `${current}/${segment}`)
    if (next === undefined) return undefined
    current = next
  }
  return current
}

/** Checks one path argument against the jail, lexically and then through the real filesystem. */
function checkPath(arg: string, jail: CommandJail): SafetyRefusal | undefined {
  if (!jail.root.startsWith("/")) {
    return refuse("path_escape", `The working-directory jail root must be an absolute path (got "${excerpt(jail.root, 60)}").`)
  }
  const root = normalizePosixPath(jail.root)
  const resolved = normalizePosixPath(joinRaw(root, arg))
  if (!isWithinRoot(root, resolved)) {
    return refuse("path_escape", `The path "${excerpt(arg, 60)}" resolves to ${excerpt(resolved, 60)}, outside the working directory.`)
  }
  let real: string | undefined
  try {
    const realRoot = jail.realpath(root)
    if (realRoot === undefined) return refuse("path_escape", "The working directory does not exist.")
    real = resolveReal(realRoot, arg, jail.realpath)
    // undefined: the path does not exist, so the command fails on its own.
    if (real === undefined || isWithinRoot(realRoot, real)) return undefined
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    return refuse("path_escape", `The path "${excerpt(arg, 60)}" could not be resolved safely (${excerpt(message, 80)}).`)
  }
  return refuse(
    "path_escape",
    `The path "${excerpt(arg, 60)}" leads (through a symlink) to ${excerpt(real, 60)}, outside the working directory.`,
  )
}

/** A value attached to a long flag ("--file=x") that looks like a path. */
function attachedPathValue(flag: string): string | undefined {
  if (!flag.startsWith("--")) return undefined
  const eq = flag.indexOf("=")
  if (eq < 0) return undefined
  const value = flag.slice(eq + 1)
  return value.includes("/") || value.startsWith(".") ? value : undefined
}

function checkArguments(program: string, args: string[], jail: CommandJail): SafetyRefusal | undefined {
  const rules = PROGRAM_RULES[program] ?? UNKNOWN_PROGRAM
  let operandsOnly = false
  for (const arg of args) {
    const isFlag = !operandsOnly && arg.startsWith("-") && arg !== "-"
    if (isFlag && arg === "--") {
      operandsOnly = true
      continue
    }
    if (isFlag) {
      const banned = bannedFlag(program, arg, rules)
      if (banned) return banned
      if (!rules.pathOperands) continue
      if (!arg.startsWith("--") && arg.includes("/")) {
        return refuse(
          "path_escape",
          `A path attached to a short flag ("${excerpt(arg, 40)}") is not supported; pass the path as a separate argument.`,
        )
      }
      const value = attachedPathValue(arg)
      if (value !== undefined) {
        const escape = checkPath(value, jail)
        if (escape) return escape
      }
      continue
    }
    if (!rules.pathOperands || arg === "-") continue
    const escape = checkPath(arg, jail)
    if (escape) return escape
  }
  return undefined
}

/**
 * The full local-command check: parse (no shell), denylist (first, so the reason is specific),
 * allowlist on argv[0] exactly, git subcommand, program-specific banned flags, then the
 * working-directory jail for every path argument (lexical, then through `jail.realpath`).
 * The returned argv is the parsed command; execute `hardenedArgv(argv, jail.root)` with
 * cwd = jail.root.
 */
export function checkLocalCommand(command: string, policy: LocalPolicy, jail: CommandJail): CommandVerdict {
  const parsed = parseCommand(command)
  if (!parsed.ok) return parsed
  const argv = parsed.argv
  const line = argv.join(" ")
  for (const { pattern, reason } of policy.deny) {
    if (line.search(pattern) >= 0) return refuse("denied_program", reason)
  }

  const program = argv[0]!
  if (!policy.allow.includes(program)) {
    const base = program.split("/").pop() ?? program
    if (program.includes("/") && policy.allow.includes(base)) {
      return refuse("not_allowed", `Programs are named, not given as paths: use "${base}" instead of "${excerpt(program, 60)}".`)
    }
    return refuse(
      "not_allowed",
      `"${excerpt(program, 60)}" is not an allowed program (allowed: ${policy.allow.join(", ") || "none"}).`,
    )
  }

  let args = argv.slice(1)
  if (program === "git") {
    const sub = argv[1]
    if (sub === undefined || !policy.gitSubcommands.includes(sub)) {
      const allowed = policy.gitSubcommands.join(", ") || "none"
      return refuse(
        "git_subcommand",
        sub === undefined
          ? `git needs a subcommand (allowed: ${allowed}).`
          : `"git ${excerpt(sub, 40)}" is not allowed: only these git subcommands are (${allowed}), and no global options.`,
      )
    }
    args = argv.slice(2)
  }

  const problem = checkArguments(program, args, jail)
  if (problem) return problem
  return { ok: true, argv }
}

/**
 * The argv to execute for an approved command. Identical for every program except git, which
 * gets global options that keep it inside the jail and away from config-driven programs:
 * - `--git-dir=<root>/.git --work-tree=<root>`: no repository discovery upwards, so a jail
 *   inside a bigger repository does not show that repository's files and history
 *   ("not a git repository" instead);
 * - `-c core.fsmonitor=false -c core.hooksPath=/dev/null -c log.showSignature=false`, and
 *   `--no-ext-diff --no-textconv` for diff/log: the child's HOME is the jail, so a
 *   `.gitconfig` written there is git's global config and could otherwise name programs
 *   that git runs.
 */
export function hardenedArgv(argv: readonly string[], root: string): string[] {
  if (argv[0] !== "git" || argv.length < 2) return [...argv]
  const base = normalizePosixPath(root)
  const gitDir = base === "/" ? "/.git" : `${base}/.git`
  const sub = argv[1]!
  const diffSafety = sub === "diff" || sub === "log" ? ["--no-ext-diff", "--no-textconv"] : []
  return [
    "git",
    `--git-dir=${gitDir}`,
    `--work-tree=${base}`,
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "log.showSignature=false",
    sub,
    ...diffSafety,
    ...argv.slice(2),
  ]
}
