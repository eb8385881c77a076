import { describe, expect, it } from "vitest";
import { OpenAIError } from "../src/openai/errors.js";
import { FairQueue } from "../src/queue.js";

describe("FairQueue", () => {
  it("serves waiters strictly in arrival order", async () => {
    const queue = new FairQueue(["a", "b"]);
    const first = await Promise.all([queue.acquire(), queue.acquire()]);
    const order: number[] = [];
    const waiting = [1, 2, 3, 4].map((i) =>
      queue.acquire().then((r) => {
        order.push(i);
        return r;
      }),
    );
    expect(queue.stats).toEqual({ total: 2, busy: 2, waiting: 4 });
    for (const r of first) queue.release(r);
    const next = await Promise.all(waiting.slice(0, 2));
    for (const r of next) queue.release(r);
    await Promise.all(waiting);
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it("a newcomer does not overtake waiters when a resource frees up", async () => {
    const queue = new FairQueue([1]);
    const held = await queue.acquire();
    const waiter = queue.acquire();
    queue.release(held);
    const late = queue.acquire();
    expect(await waiter).toBe(1);
    expect(queue.stats.waiting).toBe(1);
    queue.release(1);
    expect(await late).toBe(1);
  });

  it("drops a waiter whose signal aborts and serves the next one", async () => {
    const queue = new FairQueue(["r"]);
    const held = await queue.acquire();
    const abort = new AbortController();
    const cancelled = queue.acquire(abort.signal);
    const next = queue.acquire();
    abort.abort();
    await expect(cancelled).rejects.toMatchObject({ name: "AbortError" });
    expect(queue.stats.waiting).toBe(1);
    queue.release(held);
    expect(await next).toBe("r");
  });

  it("refuses with 503 once maxWaiting callers wait, and on close", async () => {
    const queue = new FairQueue(["r"], { maxWaiting: 1 });
    await queue.acquire();
    const waiting = queue.acquire();
    await expect(queue.acquire()).rejects.toMatchObject({ status: 503, code: "overloaded" });
    queue.close();
    await expect(waiting).rejects.toBeInstanceOf(OpenAIError);
    await expect(queue.acquire()).rejects.toMatchObject({ status: 503, code: "backend_closed" });
  });
});
