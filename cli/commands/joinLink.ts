/** `vivarium join-link`: the browser links (this machine's, and the LAN's with --lan), relay address and secret of a local relay. */
import { resolve } from "node:path"
import { z } from "zod"
import { localRelayHost, readRelayAddress, readSecret } from "../../peer-server/dataDir.ts"
import { parseFlags } from "../args.ts"
import { DEFAULT_DATA_DIR } from "../connection.ts"
import { CliError } from "../errors.ts"
import { joinLink } from "./relay.ts"

const FLAGS = { data: { type: "string", default: DEFAULT_DATA_DIR }, json: { type: "boolean", default: false } } as const
const Input = z.object({ data: z.string().min(1), json: z.boolean() })

export async function runJoinLink(argv: string[]): Promise<number> {
  const flags = parseFlags("join-link", argv, FLAGS, Input)
  const dir = resolve(flags.data)
  const token = readSecret(dir)
  const address = readRelayAddress(dir)
  if (!token || !address) throw new CliError(`join-link: no relay has run with data dir ${dir}; start one with 'vivarium start'`)
  const host = localRelayHost(address)
  const url = joinLink(`http://${host}:${address.port}`, token)
  const relay = `ws://${host}:${address.port}`
  const lan = (address.lanUrls ?? []).map(base => joinLink(base, token))
  if (flags.json) console.log(JSON.stringify({ url, lanUrls: lan, relay, token }))
  else console.log([url, ...lan.map(l => `from the LAN: ${l}`), `relay: ${relay}`, `token: ${token}`].join("\n"))
  return 0
}
