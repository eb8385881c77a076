import { describe, expect, it } from "vitest";
import { MetricsRegistry } from "../src/index.js";

describe("Prometheus metrics", () => {
  it("renders counters, gauges and cumulative histograms in the text format", () => {
    const registry = new MetricsRegistry();
    const served = registry.counter("x_served_total", "Served.", ["service"]);
    served.inc({ service: "a" });
    served.inc({ service: "a" }, 2);
    served.inc({ service: 'b"\\\n' });
    registry.gauge("x_block", "Block.", [], () => 42);
    const latency = registry.histogram("x_seconds", "Latency.", ["service"], [0.1, 1]);
    latency.observe(0.05, { service: "a" });
    latency.observe(0.5, { service: "a" });
    latency.observe(5, { service: "a" });
    expect(registry.render()).toBe(
      [
        "# HELP x_served_total Served.",
        "# TYPE x_served_total counter",
        'x_served_total{service="a"} 3',
        'x_served_total{service="b\\"\\\\\\n"} 1',
        "# HELP x_block Block.",
        "# TYPE x_block gauge",
        "x_block 42",
        "# HELP x_seconds Latency.",
        "# TYPE x_seconds histogram",
        'x_seconds_bucket{service="a",le="0.1"} 1',
        'x_seconds_bucket{service="a",le="1"} 2',
        'x_seconds_bucket{service="a",le="+Inf"} 3',
        'x_seconds_sum{service="a"} 5.55',
        'x_seconds_count{service="a"} 3',
        "",
      ].join("\n"),
    );
    expect(served.get({ service: "a" })).toBe(3);
    expect(latency.count({ service: "a" })).toBe(3);
  });

  it("refuses duplicate and invalid names", () => {
    const registry = new MetricsRegistry();
    registry.counter("x_total", "X.");
    expect(() => registry.counter("x_total", "X.")).toThrow(/already registered/);
    expect(() => registry.counter("x-total", "X.")).toThrow(/invalid metric name/);
  });
});
