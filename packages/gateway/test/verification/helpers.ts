// Shared pieces of the verification tests: seeded randomness, the tiny models (the service's and another one with
// other weights), a reference on the first, and an in-memory transport to suppliers that may cheat.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEmbeddedBackend, type EmbeddedBackend, ensureTinyModel } from "@decai/llm";
import { getLlama, type Llama, LlamaLogLevel } from "node-llama-cpp";
import {
  type ChallengeTransport,
  choicesOf,
  createEmbeddedReference,
  type Exchange,
  type Reference,
  usageOf,
  type VerifiedEndpoint,
} from "../../src/index.js";

/** A seeded uniform [0, 1) source (mulberry32), so sampled choices are reproducible. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const service = "tiny-llama";

/** The service's tiny model, a model with other weights under the same name, and a reference on the first. */
export type Models = {
  llama: Llama;
  honest: EmbeddedBackend;
  wrong: EmbeddedBackend;
  reference: Reference;
  close(): Promise<void>;
};

export async function loadModels(): Promise<Models> {
  const dir = await mkdtemp(join(tmpdir(), "decai-verify-"));
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
  const honest = await createEmbeddedBackend({ modelsDir: dir, llama, modelId: service, parallel: 2 });
  const other = await ensureTinyModel(dir, { seed: 2 });
  const wrong = await createEmbeddedBackend({ model: other.path, llama, modelId: service, parallel: 1 });
  const reference = await createEmbeddedReference({ backend: honest });
  return {
    llama,
    honest,
    wrong,
    reference,
    async close() {
      await reference.close?.();
      await honest.close();
      await wrong.close();
      await llama.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A complete answer as JSON. */
export type Answer = Record<string, unknown>;

/** A supplier: how it answers a request (non-streamed). */
export type Behaviour = (endpoint: VerifiedEndpoint, body: Record<string, unknown>) => Promise<Answer>;

/** Answers from `backend`, honestly. */
export function serves(backend: EmbeddedBackend): Behaviour {
  return async (endpoint, body) => {
    const { stream: _s, stream_options: _o, ...rest } = body;
    return (endpoint === "chat.completions"
      ? await backend.chat(rest as never)
      : await backend.complete(rest as never)) as unknown as Answer;
  };
}

type Choice = { message?: { content: string }; text?: string; finish_reason: string };
const choice0 = (a: Answer) => (a.choices as Choice[])[0] as Choice;
function setText(c: Choice, text: string): void {
  if (c.message) c.message.content = text;
  else c.text = text;
}

/** Cuts every answer to its first half and claims the model stopped there, billing the half honestly. */
export function truncates(inner: Behaviour, reference: Reference): Behaviour {
  return async (endpoint, body) => {
    const answer = structuredClone(await inner(endpoint, body));
    const c = choice0(answer);
    const text = c.message?.content ?? c.text ?? "";
    const cut = text.slice(0, Math.floor(text.length / 2));
    setText(c, cut);
    c.finish_reason = "stop";
    const usage = answer.usage as { completion_tokens: number; total_tokens: number; prompt_tokens: number };
    usage.completion_tokens = reference.completionTokens(cut) + 1;
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    return answer;
  };
}

/** Bills `factor` × the completion tokens it produced. */
export function inflates(inner: Behaviour, factor: number): Behaviour {
  return async (endpoint, body) => {
    const answer = structuredClone(await inner(endpoint, body));
    const usage = answer.usage as { completion_tokens: number };
    usage.completion_tokens = Math.ceil(usage.completion_tokens * factor);
    return answer;
  };
}

/** Answers every prompt after the first with the answer it gave the first. */
export function replays(inner: Behaviour): Behaviour {
  let cached: Answer | undefined;
  return async (endpoint, body) => {
    cached ??= await inner(endpoint, body);
    return structuredClone(cached);
  };
}

/**
 * Suppliers in memory: `send` goes to the pinned supplier, or the first one not excluded; every request is
 * logged. `down` suppliers throw (unreachable).
 */
export function memoryTransport(suppliers: Record<string, Behaviour>, down = new Set<string>()) {
  const sent: { supplier: string; body: Record<string, unknown> }[] = [];
  const transport: ChallengeTransport = {
    async suppliers() {
      return Object.keys(suppliers);
    },
    async send(request) {
      const supplier =
        request.supplier ?? Object.keys(suppliers).find((s) => !request.exclude?.includes(s)) ?? "";
      const behaviour = suppliers[supplier];
      if (!behaviour || down.has(supplier)) throw new Error(`supplier ${supplier} is unreachable`);
      sent.push({ supplier, body: request.body });
      const answer = await behaviour(request.endpoint, request.body);
      return exchangeOf(supplier, request.endpoint, request.body, answer, request.origin);
    },
  };
  return { transport, sent };
}

let n = 0;

/** The exchange of `answer` to `body` by `supplier`. */
export function exchangeOf(
  supplier: string,
  endpoint: VerifiedEndpoint,
  body: Record<string, unknown>,
  answer: Answer,
  origin: Exchange["origin"] = "user",
): Exchange {
  return {
    id: `x_${++n}`,
    service,
    endpoint,
    request: body,
    supplier,
    stream: body.stream === true,
    choices: choicesOf(answer),
    usage: usageOf(answer),
    origin,
    at: Date.now(),
  };
}

/** A chat request to the service. */
export const chat = (content: string, extra: Record<string, unknown> = {}) => ({
  model: service,
  messages: [{ role: "user", content }],
  max_tokens: 32,
  ...extra,
});
