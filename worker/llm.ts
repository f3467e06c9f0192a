/**
 * LLM calls through groq-sdk. The SDK retries 429 and 5xx with backoff (honouring
 * retry-after); we validate its answers, since it does not. Every HTTP attempt, retries
 * included, is reported with the token counts the API returned for it (what it bills).
 */
import Groq from "groq-sdk"
import { z } from "zod"

export interface LlmRequest {
  model: string
  prompt: string
  /** Added to the system message: the wake-up context of the resident this worker plays. */
  context?: string
  maxTokens: number
  signal?: AbortSignal
  /** Called once per HTTP attempt (retries included), in order. */
  onAttempt?: (attempt: LlmAttempt) => void
}

/** One HTTP attempt of a call: the usage the API reported for it (zero when it reported none). */
export interface LlmAttempt {
  promptTokens: number
  completionTokens: number
  ok: boolean
  status: number
}

export interface LlmAnswer {
  text: string
  usage: { promptTokens: number; completionTokens: number }
}

export interface LlmClient {
  complete(req: LlmRequest): Promise<LlmAnswer>
}

export class LlmError extends Error {
  override readonly name = "LlmError"
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message)
  }
}

const Usage = z.object({ prompt_tokens: z.number().int().nonnegative(), completion_tokens: z.number().int().nonnegative() })

/** The usage an attempt's response body reports, if any (error bodies may carry it too). */
async function attemptOf(response: Response): Promise<LlmAttempt> {
  let usage: z.infer<typeof Usage> | undefined
  try {
    const body = (await response.clone().json()) as { usage?: unknown; error?: { usage?: unknown } }
    usage = Usage.safeParse(body?.usage ?? body?.error?.usage).data
  } catch {
    // A body that is not JSON reports no usage.
  }
  return { promptTokens: usage?.prompt_tokens ?? 0, completionTokens: usage?.completion_tokens ?? 0, ok: response.ok, status: response.status }
}

const Completion = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative(), completion_tokens: z.number().int().nonnegative() }),
})

export const SYSTEM_PROMPT = "You are an expert software engineer executing tasks precisely. Follow instructions exactly."

export interface GroqOptions {
  apiKey: string
  /** Origin only; the SDK adds /openai/v1/chat/completions. */
  baseURL?: string
  maxRetries?: number
  timeoutMs?: number
}

export function groqClient(opts: GroqOptions): LlmClient {
  return {
    async complete(req) {
      // One SDK client per call, so that its fetch reports this call's attempts only.
      const groq = new Groq({
        apiKey: opts.apiKey,
        ...(opts.baseURL ? { baseURL: opts.baseURL } : {}),
        maxRetries: opts.maxRetries ?? 3,
        timeout: opts.timeoutMs ?? 120_000,
        fetch: async (input, init) => {
          const response = await fetch(input, init)
          req.onAttempt?.(await attemptOf(response))
          return response
        },
      })
      let raw: unknown
      try {
        raw = await groq.chat.completions.create(
          {
            model: req.model,
            messages: [
              { role: "system", content: req.context ? `${SYSTEM_PROMPT}\n\n${req.context}` : SYSTEM_PROMPT },
              { role: "user", content: req.prompt },
            ],
            max_tokens: req.maxTokens,
          },
          { signal: req.signal },
        )
      } catch (error) {
        const status = (error as { status?: number }).status
        // Never echo request options: they carry the API key in a header.
        throw new LlmError(`LLM call failed${status ? ` (HTTP ${status})` : ""}: ${(error as Error).message.slice(0, 200)}`, status)
      }
      const parsed = Completion.safeParse(raw)
      if (!parsed.success) throw new LlmError(`LLM answer malformed: ${parsed.error.issues[0]?.message}`)
      const { choices, usage } = parsed.data
      return {
        text: choices[0]!.message.content ?? "",
        usage: { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens },
      }
    },
  }
}
