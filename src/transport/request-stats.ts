import type { Registry } from "prom-client";

/**
 * Request count and latency per (route, protocol, code), kept in plain typed arrays and turned into
 * Prometheus samples only when /metrics is scraped. prom-client's own Counter + Histogram cost about
 * 1 µs per observation (label hashing, per-bucket objects), which is most of a pipelined TCP frame's
 * budget; here an observation is three lookups of strings the callers hold as constants (their
 * hashes are cached, where a joined key string would be built and hashed on every request), a
 * bucket search and three additions.
 */

const BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

interface Series {
  readonly labels: { route: string; protocol: string; code: string };
  /** Non-cumulative count per bucket; the last slot is +Inf. */
  readonly buckets: Float64Array;
  count: number;
  sum: number;
}

interface Sample {
  readonly metricName?: string;
  readonly labels: Record<string, string | number>;
  readonly value: number;
}

export class RequestStats {
  /** route → protocol → code → its series. */
  private readonly byRoute = new Map<string, Map<string, Map<string, Series>>>();

  /** Registers `tessera_requests_total` and `tessera_request_duration_seconds` in the registry. */
  constructor(registry: Registry) {
    const metric = (name: string, help: string, type: "counter" | "histogram", get: () => Sample[]) => ({
      name,
      help,
      type,
      get: async () => ({ name, help, type, values: get(), aggregator: "sum" }),
    });
    registry.registerMetric(
      metric("tessera_requests_total", "Requests served, by route or RPC, wire protocol and result code", "counter", () =>
        [...this.all()].map((s) => ({ labels: s.labels, value: s.count })),
      ) as never,
    );
    registry.registerMetric(
      metric("tessera_request_duration_seconds", "Time from request start to response end, by route or RPC, wire protocol and result code", "histogram", () =>
        this.histogramSamples(),
      ) as never,
    );
  }

  observe(route: string, protocol: string, code: string, seconds: number): void {
    let byProtocol = this.byRoute.get(route);
    if (byProtocol === undefined) this.byRoute.set(route, (byProtocol = new Map()));
    let byCode = byProtocol.get(protocol);
    if (byCode === undefined) byProtocol.set(protocol, (byCode = new Map()));
    let s = byCode.get(code);
    if (s === undefined) {
      s = { labels: { route, protocol, code }, buckets: new Float64Array(BUCKETS.length + 1), count: 0, sum: 0 };
      byCode.set(code, s);
    }
    let i = 0;
    while (i < BUCKETS.length && seconds > BUCKETS[i]!) i++;
    s.buckets[i]!++;
    s.count++;
    s.sum += seconds;
  }

  private *all(): Iterable<Series> {
    for (const byProtocol of this.byRoute.values()) for (const byCode of byProtocol.values()) yield* byCode.values();
  }

  private histogramSamples(): Sample[] {
    const out: Sample[] = [];
    const name = "tessera_request_duration_seconds";
    for (const s of this.all()) {
      let cumulative = 0;
      for (let i = 0; i <= BUCKETS.length; i++) {
        cumulative += s.buckets[i]!;
        out.push({ metricName: `${name}_bucket`, labels: { le: i < BUCKETS.length ? BUCKETS[i]! : "+Inf", ...s.labels }, value: cumulative });
      }
      out.push({ metricName: `${name}_sum`, labels: s.labels, value: s.sum });
      out.push({ metricName: `${name}_count`, labels: s.labels, value: s.count });
    }
    return out;
  }
}
