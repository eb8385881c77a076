// Seeing every answer the gateway serves, without touching the request path: an upstream wrapper that hands each
// complete exchange to verification once the upstream has delivered it, and changes nothing it passes on.
import { randomBytes } from "node:crypto";
import type { Upstream, UpstreamRequest, UpstreamResponse } from "../upstream/types.js";
import { choicesOf, StreamedAnswer, usageOf } from "./exchange.js";
import type { Exchange } from "./types.js";

const exchangeId = () => `x_${randomBytes(10).toString("hex")}`;

/**
 * Wraps `upstream` so that every complete chat or text completion it serves is reported to `onExchange` (a
 * non-streamed answer when it arrives, a stream when it has ended; a stream the client abandoned is not). The
 * callback must only queue work: it runs inline, and anything it throws is swallowed so a user's answer never
 * suffers from verification.
 *
 * @example
 * const upstream = captureExchanges(connectDecaiNetwork(options).upstream, (exchange) => verifier.observe(exchange));
 */
export function captureExchanges(
  upstream: Upstream,
  onExchange: (exchange: Exchange) => void,
  now: () => number = Date.now,
): Upstream {
  const report = (exchange: Exchange) => {
    try {
      onExchange(exchange);
    } catch {
      // verification must never break serving
    }
  };
  const wrapped: Upstream = {
    models: (signal) => upstream.models(signal),
    async call(request: UpstreamRequest): Promise<UpstreamResponse> {
      const response = await upstream.call(request);
      if (request.endpoint === "embeddings") return response;
      const endpoint = request.endpoint;
      const base = {
        service: request.model,
        endpoint,
        request: request.body,
        origin: "user" as const,
      };
      if (!response.stream) {
        report({
          ...base,
          id: response.signed ? idOf(response.signed) : exchangeId(),
          supplier: (response.supplier ?? "upstream").toLowerCase(),
          stream: false,
          choices: choicesOf(response.body),
          usage: response.usage ?? usageOf(response.body),
          ...(response.signed ? { signed: response.signed } : {}),
          at: now(),
        });
        return response;
      }
      const answer = new StreamedAnswer();
      const inner = response;
      async function* chunks() {
        for await (const chunk of inner.chunks) {
          answer.add(chunk);
          yield chunk;
        }
        // Reached only when the upstream stream ended normally (not when the client left).
        if (answer.overflowed) return;
        const final = inner.final?.() ?? {};
        const supplier = final.supplier ?? inner.supplier ?? "upstream";
        report({
          ...base,
          id: final.signed ? idOf(final.signed) : exchangeId(),
          supplier: supplier.toLowerCase(),
          stream: true,
          choices: answer.choices(),
          usage: final.usage ?? answer.usage,
          ...(final.signed ? { signed: final.signed } : {}),
          at: now(),
        });
      }
      return { ...inner, chunks: chunks() };
    },
  };
  if (upstream.close) wrapped.close = () => (upstream.close as () => Promise<void>)();
  return wrapped;
}

/** A signed exchange is named by its relay hash (which the supplier's receipt commits to). */
const idOf = (signed: NonNullable<Exchange["signed"]>): string => signed.relay.response.requestHash;
