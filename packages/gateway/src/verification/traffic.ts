// The shape of real traffic, so that watcher challenges look like it: same endpoints and fields, same message
// roles and sizes, same timing between requests. Only the words are made up (users' text never leaves).
import type { VerifiedEndpoint } from "./types.js";

type Shape = {
  endpoint: VerifiedEndpoint;
  /** Chat: each message's role and length. */
  messages?: { role: string; chars: number }[];
  /** Text completions: the prompt's length. */
  promptChars?: number;
  /** Every other field, as sent (max_tokens, stream, stream_options, stop, n, top_p, ...). */
  fields: Record<string, unknown>;
};

/** A challenge: the endpoint and body to send. */
export type Challenge = { endpoint: VerifiedEndpoint; body: Record<string, unknown> };

const words =
  "the of and to in is you that it he was for on are as with his they at be this have from or one had by word but not what all were we when your can said there use an each which she do how their if will up other about out many then them these so some her would make like him into time has look two more write go see number no way could people my than first water been call who oil its now find long down day did get come made may part over new sound take only little work know place year live me back give most very after thing our just name good sentence man think say great where help through much before line right too mean old any same tell boy follow came want show also around form three small set put end does another well large must big even such because turn here why ask went men read need land different home us move try kind hand picture again change off play spell air away animal house point page letter mother answer found study still learn should world".split(
    " ",
  );

/** Made-up text of exactly `chars` characters. */
function text(chars: number, random: () => number): string {
  let out = "";
  while (out.length < chars) out += `${out ? " " : ""}${words[Math.floor(random() * words.length)]}`;
  return out.slice(0, chars);
}

/**
 * Keeps the last `window` request shapes and arrival times per service and makes challenges from them.
 *
 * @example
 * const traffic = new TrafficModel({ window: 200 });
 * traffic.record("tiny-llama", "chat.completions", request, Date.now());
 * const challenge = traffic.challenge("tiny-llama", Math.random, 42); // temperature 0, seed 42
 * await sleep(traffic.gap("tiny-llama", Math.random));
 */
export class TrafficModel {
  readonly #window: number;
  readonly #shapes = new Map<string, Shape[]>();
  readonly #arrivals = new Map<string, number[]>();

  constructor(options: { window: number }) {
    this.#window = Math.max(1, options.window);
  }

  /** Remembers a real request's shape (never its text) and when it arrived. */
  record(service: string, endpoint: VerifiedEndpoint, request: Record<string, unknown>, at: number): void {
    const { messages, prompt, model: _model, ...fields } = request;
    const shape: Shape = { endpoint, fields };
    if (Array.isArray(messages)) {
      shape.messages = messages.map((m: { role?: unknown; content?: unknown }) => ({
        role: typeof m?.role === "string" ? m.role : "user",
        chars: typeof m?.content === "string" ? m.content.length : JSON.stringify(m?.content ?? "").length,
      }));
    } else {
      shape.promptChars = typeof prompt === "string" ? prompt.length : 32;
    }
    push(this.#shapes, service, shape, this.#window);
    push(this.#arrivals, service, at, this.#window + 1);
  }

  /** How many shapes are known for the service. */
  size(service: string): number {
    return this.#shapes.get(service)?.length ?? 0;
  }

  /**
   * A challenge shaped like a random recent request of the service, at temperature 0 with `seed`; `undefined`
   * before any real request was seen.
   */
  challenge(service: string, random: () => number, seed: number): Challenge | undefined {
    const shapes = this.#shapes.get(service);
    if (!shapes?.length) return undefined;
    const shape = shapes[Math.floor(random() * shapes.length)] as Shape;
    const body: Record<string, unknown> = { model: service };
    if (shape.messages) {
      body.messages = shape.messages.map((m) => ({
        role: m.role,
        content: text(Math.max(1, m.chars), random),
      }));
    } else {
      body.prompt = text(Math.max(1, shape.promptChars ?? 32), random);
    }
    Object.assign(body, structuredClone(shape.fields), { temperature: 0, seed });
    return { endpoint: shape.endpoint, body };
  }

  /**
   * A pause (ms) drawn from the recent gaps between real requests of the service, so challenges arrive like
   * users do; exponential around `fallbackMs` before two requests were seen; at most `maxMs` (a quiet service
   * would otherwise stretch a round over hours).
   */
  gap(service: string, random: () => number, fallbackMs = 1000, maxMs = 30_000): number {
    const at = this.#arrivals.get(service) ?? [];
    if (at.length < 2) return Math.min(maxMs, -Math.log(1 - random()) * fallbackMs);
    const i = 1 + Math.floor(random() * (at.length - 1));
    return Math.min(maxMs, Math.max(0, (at[i] as number) - (at[i - 1] as number)));
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T, max: number): void {
  let list = map.get(key);
  if (!list) {
    list = [];
    map.set(key, list);
  }
  list.push(value);
  if (list.length > max) list.shift();
}
