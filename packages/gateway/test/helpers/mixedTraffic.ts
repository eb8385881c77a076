// Mixed, realistic user traffic for the adversarial world (the verification e2e test and bench/verification.ts):
// chat and text completions, some streamed, varied prompts, temperatures, max_tokens and stop sequences, sent
// through the gateway with the official openai client, each request tied to the supplier that served it.
import type OpenAI from "openai";
import type { GatewayStore } from "../../src/index.js";
import { seeded } from "../verification/helpers.js";

/** One request of the mix, as the openai client sends it. */
export type TrafficRequest = {
  endpoint: "chat.completions" | "completions";
  stream: boolean;
  /** The body without `model` and `stream` (the sender adds them). */
  body: Record<string, unknown>;
};

/** What became of one request. */
export type SentRequest = {
  /** Position in the mix (issue order). */
  index: number;
  request: TrafficRequest;
  /** The gateway's request id (`x-request-id`). */
  id: string | undefined;
  /** User requests already answered when this one was sent (the clock detection is measured on). */
  completedBefore: number;
  /** Unix ms when it was sent and answered. */
  sentAt: number;
  doneAt: number;
  /** The generated text (streams: the deltas joined); undefined when the request failed. */
  text?: string;
  /** The error message, when the request failed. */
  error?: string;
  /** The supplier that served it (from the gateway's usage log), lower case. */
  supplier?: string;
};

const topics = [
  "the history of Rome",
  "photosynthesis",
  "a trip to Lisbon",
  "quantum computing",
  "sourdough bread",
  "the French revolution",
  "black holes",
  "a job interview",
  "climate change",
  "chess openings",
  "the stock market",
  "learning Spanish",
  "marathon training",
  "jazz music",
  "volcanoes",
  "machine learning",
];
const asks = [
  (t: string) => `Explain ${t} in simple terms.`,
  (t: string) => `Write a short poem about ${t}.`,
  (t: string) => `Give me three facts about ${t}.`,
  (t: string) => `What should a beginner know about ${t}? Keep it brief.`,
  (t: string) => `Summarise ${t} in two sentences.`,
  (t: string) => `I am writing an essay on ${t}. Suggest a title and an outline.`,
  (t: string) => `Tell me a joke about ${t}.`,
  (t: string) => `Compare ${t} with something from everyday life.`,
];
const systems = [
  "You are a helpful assistant.",
  "You are a concise assistant. Answer in plain English.",
  "You are a friendly tutor who explains things step by step.",
];
// The tiny model almost never ends its turn by itself, where a real model ends most answers before max_tokens:
// stop sequences stand in for those natural endings. Each set is reached in about 40-70% of 64-token answers,
// after a median of 18-40 characters (measured), so many answers end before their limit, leaving room to over-bill.
const stops = [["Jer"], [" ther", "to3"], ["[J|"], ["Q[", "W|J|"], ["P[", "&"], [" T", " y", "en["]];
const temperatures = [0, 0, 0, 0.5, 0.7, 0.8, 1, 1.2];
const maxTokens = [12, 16, 24, 32, 48];

/**
 * The `count` requests of a seeded mix: about 1 in 8 text completions, 1 in 4 streamed, 1 in 4 greedy
 * (temperature 0), 70% with stop sequences (and a larger `max_tokens`), max_tokens 12 to 64, some with a system
 * prompt, earlier turns, `top_p` or a `seed`.
 *
 * @example
 * for (const r of mixedTraffic(1000, 7)) await send(r);
 */
export function mixedTraffic(count: number, seed: number): TrafficRequest[] {
  const random = seeded(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const out: TrafficRequest[] = [];
  for (let i = 0; i < count; i++) {
    const topic = pick(topics);
    const question = `${pick(asks)(topic)}${random() < 0.3 ? ` (request ${i})` : ""}`;
    const stop = random() < 0.7 ? pick(stops) : undefined;
    const body: Record<string, unknown> = {
      max_tokens: stop ? pick([32, 48, 64]) : pick(maxTokens),
      temperature: pick(temperatures),
      ...(stop ? { stop } : {}),
    };
    if (random() < 0.1) body.top_p = 0.9;
    if (random() < 0.1) body.seed = Math.floor(random() * 1000);
    const stream = random() < 0.25;
    if (random() < 0.125) {
      out.push({ endpoint: "completions", stream, body: { ...body, prompt: `Q: ${question}\nA:` } });
      continue;
    }
    const messages: { role: string; content: string }[] = [];
    if (random() < 0.3) messages.push({ role: "system", content: pick(systems) });
    if (random() < 0.15) {
      messages.push({ role: "user", content: `Tell me about ${pick(topics)}.` });
      messages.push({ role: "assistant", content: `Sure. ${pick(topics)} is a broad subject.` });
    }
    messages.push({ role: "user", content: question });
    out.push({ endpoint: "chat.completions", stream, body: { ...body, messages } });
  }
  return out;
}

/** Sends one request with the openai client; resolves with its request id and text. */
async function sendOne(
  openai: OpenAI,
  model: string,
  request: TrafficRequest,
): Promise<{ id: string | undefined; text: string }> {
  const body = { ...request.body, model } as never;
  if (request.endpoint === "chat.completions") {
    if (request.stream) {
      const { data, response } = await openai.chat.completions
        .create({ ...(body as object), stream: true } as never)
        .withResponse();
      let text = "";
      for await (const chunk of data as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>)
        text += chunk.choices[0]?.delta?.content ?? "";
      return { id: response.headers.get("x-request-id") ?? undefined, text };
    }
    const { data, response } = await openai.chat.completions.create(body).withResponse();
    return {
      id: response.headers.get("x-request-id") ?? undefined,
      text: (data as OpenAI.ChatCompletion).choices[0]?.message.content ?? "",
    };
  }
  if (request.stream) {
    const { data, response } = await openai.completions
      .create({ ...(body as object), stream: true } as never)
      .withResponse();
    let text = "";
    for await (const chunk of data as unknown as AsyncIterable<OpenAI.Completion>)
      text += chunk.choices[0]?.text ?? "";
    return { id: response.headers.get("x-request-id") ?? undefined, text };
  }
  const { data, response } = await openai.completions.create(body).withResponse();
  return {
    id: response.headers.get("x-request-id") ?? undefined,
    text: (data as OpenAI.Completion).choices[0]?.text ?? "",
  };
}

/**
 * Sends `requests` through the gateway, `concurrency` at a time, in order; a failed request is recorded, not
 * thrown. Each result names the supplier that served it, read from the gateway's usage log once all are done.
 * `startIndex` and `completed` continue the numbering of earlier batches.
 *
 * @example
 * const sent = await sendTraffic({ openai: world.openai, store: world.store, model: worldModel,
 *   requests: mixedTraffic(100, 1), concurrency: 8 });
 */
export async function sendTraffic(options: {
  openai: OpenAI;
  store: GatewayStore;
  model: string;
  requests: readonly TrafficRequest[];
  concurrency: number;
  /** Index of the first request (default 0). */
  startIndex?: number;
  /** Counts answered user requests across batches; `completed.value` grows as answers come in. */
  completed?: { value: number };
  /** Waits for the gateway to have logged every answer (Gateway.idle). */
  idle?: () => Promise<void>;
}): Promise<SentRequest[]> {
  const completed = options.completed ?? { value: 0 };
  const start = options.startIndex ?? 0;
  const out: SentRequest[] = new Array(options.requests.length);
  let next = 0;
  const worker = async () => {
    while (next < options.requests.length) {
      const i = next++;
      const request = options.requests[i] as TrafficRequest;
      const sentAt = Date.now();
      const completedBefore = completed.value;
      try {
        const { id, text } = await sendOne(options.openai, options.model, request);
        out[i] = { index: start + i, request, id, completedBefore, sentAt, doneAt: Date.now(), text };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        out[i] = {
          index: start + i,
          request,
          id: undefined,
          completedBefore,
          sentAt,
          doneAt: Date.now(),
          error: message,
        };
      }
      completed.value++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  await options.idle?.();
  const usage = await options.store.usage({ limit: 10_000 });
  const supplierOf = new Map(usage.map((u) => [u.id, u.supplier?.toLowerCase()]));
  for (const r of out) {
    const supplier = r.id ? supplierOf.get(r.id) : undefined;
    if (supplier) r.supplier = supplier;
  }
  return out;
}
