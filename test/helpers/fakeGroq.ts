/**
 * A fake Groq server on loopback that speaks the chat-completions API the real groq-sdk
 * calls. It can answer, fail with 429/500, hang until released, or follow a script (one
 * step per request: a status and the usage it reports, also on errors, as a billing API
 * may); it counts requests per prompt so tests can prove "executed exactly once".
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"

export type FakeBehaviour =
  | { kind: "answer"; text?: (prompt: string) => string }
  | { kind: "fail"; status: 429 | 500 | 503; times: number }
  | { kind: "hang" }
  | { kind: "script"; steps: ScriptStep[] }

/** One scripted answer; after the last step the fake answers normally (40 + 60 tokens). */
export interface ScriptStep {
  status: 200 | 429 | 500 | 503
  usage?: { prompt_tokens: number; completion_tokens: number }
}

export interface FakeGroq {
  baseURL: string
  /** Requests seen, by the user prompt. */
  counts: Map<string, number>
  /** The system message sent with each user prompt (the last one seen per prompt). */
  systems: Map<string, string>
  /** Authorization headers seen (to check the key is sent only here). */
  authHeaders: Set<string>
  behaviour: FakeBehaviour
  /** Lets every hanging request answer now. */
  releaseHung(): void
  hungCount(): number
  onRequest?: (prompt: string) => void
  close(): Promise<void>
}

export async function startFakeGroq(initial: FakeBehaviour = { kind: "answer" }): Promise<FakeGroq> {
  const hung: (() => void)[] = []
  let failuresLeft = initial.kind === "fail" ? initial.times : 0
  let step = 0
  const fake: FakeGroq = {
    baseURL: "",
    counts: new Map(),
    systems: new Map(),
    authHeaders: new Set(),
    behaviour: initial,
    releaseHung: () => hung.splice(0).forEach(f => f()),
    hungCount: () => hung.length,
    close: async () => {
      fake.releaseHung()
      server.closeAllConnections()
      await new Promise<void>(r => server.close(() => r()))
    },
  }
  const answer = (res: ServerResponse, prompt: string, usage = { prompt_tokens: 40, completion_tokens: 60 }) => {
    const b = fake.behaviour
    const text = b.kind === "answer" && b.text ? b.text(prompt) : `Result for: ${prompt.slice(0, 60)}. Everything requested is done.`
    const body = JSON.stringify({
      id: "chatcmpl-fake",
      object: "chat.completion",
      choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    })
    res.writeHead(200, { "content-type": "application/json" })
    res.end(body)
  }
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = ""
    req.on("data", c => (raw += c))
    req.on("end", () => {
      if (req.method !== "POST" || !req.url?.endsWith("/openai/v1/chat/completions")) {
        res.writeHead(404).end()
        return
      }
      fake.authHeaders.add(req.headers.authorization ?? "")
      const body = JSON.parse(raw) as { messages: { role: string; content: string }[] }
      const prompt = body.messages.find(m => m.role === "user")?.content ?? ""
      fake.counts.set(prompt, (fake.counts.get(prompt) ?? 0) + 1)
      fake.systems.set(prompt, body.messages.find(m => m.role === "system")?.content ?? "")
      fake.onRequest?.(prompt)
      const b = fake.behaviour
      if (b.kind === "fail" && failuresLeft > 0) {
        failuresLeft--
        res.writeHead(b.status, { "content-type": "application/json", "retry-after-ms": "5" })
        res.end(JSON.stringify({ error: { message: `fake ${b.status}` } }))
        return
      }
      const scripted = b.kind === "script" ? b.steps[step++] : undefined
      if (scripted && scripted.status !== 200) {
        res.writeHead(scripted.status, { "content-type": "application/json", "retry-after-ms": "5" })
        res.end(JSON.stringify({ error: { message: `fake ${scripted.status}` }, ...(scripted.usage ? { usage: scripted.usage } : {}) }))
        return
      }
      if (scripted) return answer(res, prompt, scripted.usage)
      if (b.kind === "hang") {
        hung.push(() => answer(res, prompt))
        return
      }
      answer(res, prompt)
    })
  })
  await new Promise<void>(r => server.listen(0, "127.0.0.1", () => r()))
  const address = server.address()
  fake.baseURL = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`
  return fake
}
