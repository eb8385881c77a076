// A gateway in front of the fake OpenAI server, with one API key, for HTTP-level tests.
import OpenAI from "openai";
import {
  createHttpUpstream,
  createKey,
  Gateway,
  type GatewayOptions,
  type GatewayStore,
  type KeyLimitsInput,
  type ModelPrice,
  SqliteStore,
} from "../../src/index.js";
import { type FakeOpenAi, type FakeOptions, startFakeOpenAi } from "./fakeOpenAi.js";

export const adminToken = "admin-secret-for-tests";

export type TestGateway = {
  gateway: Gateway;
  fake: FakeOpenAi;
  store: GatewayStore;
  /** The API key (secret) and its id. */
  key: string;
  keyId: string;
  /** An OpenAI client for `key`, without retries. */
  client: OpenAI;
  /** Raw fetch against the gateway with `key`. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
};

export async function startTestGateway(
  options: {
    fake?: FakeOptions;
    limits?: KeyLimitsInput;
    prices?: Record<string, ModelPrice>;
    store?: GatewayStore;
    gateway?: Partial<GatewayOptions>;
    /** Suppliers per model as the upstream reports them (default 1 each). */
    suppliers?: Record<string, number>;
  } = {},
): Promise<TestGateway> {
  const fake = await startFakeOpenAi(options.fake);
  const store = options.store ?? SqliteStore.open(":memory:");
  const upstream = createHttpUpstream({
    baseUrl: fake.url,
    name: "fake-supplier",
    models: fake.options.models.map((id) => ({
      id,
      suppliers: options.suppliers?.[id] ?? 1,
      source: "0x000000000000000000000000000000000000a11c",
      weightsDigest: `0x${"ab".repeat(32)}`,
    })),
  });
  const prices = options.prices;
  const gateway = await Gateway.start({
    store,
    upstream,
    adminToken,
    ...(prices ? { pricing: (model: string) => prices[model] } : {}),
    ...options.gateway,
  });
  const { key, record } = await createKey(store, { name: "test", limits: options.limits ?? {} });
  const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: key, maxRetries: 0 });
  return {
    gateway,
    fake,
    store,
    key,
    keyId: record.id,
    client,
    post: (path, body, headers = {}) =>
      fetch(`${gateway.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    close: async () => {
      await gateway.stop();
      await fake.close();
      if (!options.store) await store.close();
    },
  };
}
