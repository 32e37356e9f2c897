/** The suite's command line: full run by default, `--quick` for a smoke run (< 2 minutes). */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { positive, ROUND_FLAGS } from "../lib/flags.ts";

export interface SuiteOptions {
  readonly quick: boolean;
  readonly rounds: number;
  readonly durationS: number;
  readonly warmupS: number;
  /** Run every pair once unrecorded before round 0 (JIT warm-up). */
  readonly prime: boolean;
  readonly primeS: number;
  /** HTTP keep-alive connections / TCP connections. */
  readonly connections: number;
  /** TCP frames in flight per connection. */
  readonly depth: number;
  /** Pushes / reads in flight per connection in the Redis comparison (both systems). */
  readonly redisDepth: number;
  readonly openFraction: number;
  readonly spin: boolean;
  /** Key spaces. */
  readonly pushEntities: number;
  readonly pushLargeEntities: number;
  readonly getEntities: number;
  readonly servingEntities: number;
  readonly redisEntities: number;
  /** `--entities N`: every key space is N (smoke tests); null otherwise. */
  readonly fixedEntities: number | null;
  /** Pre-built events per push tape (the large key space gets 4×). */
  readonly tapeEvents: number;
  readonly memoryEntities: readonly number[];
  /** Case ids or groups to run; null = all. */
  readonly only: ReadonlySet<string> | null;
  readonly outDir: string;
  /** Print a line per measurement on stderr even on a terminal (the bar is then off). */
  readonly verbose: boolean;
}

export const HELP = `tessera bench / npm run bench — the whole benchmark suite, each case next to an in-run baseline

  --quick               smoke run (< 2 min): 1 round, 0.8 s windows, 10k-entity key spaces, memory at 100k only
  --rounds N            rounds per pair (default 3; --quick 1)
  --duration-s S        measured seconds per measurement (default 4; --quick 0.8)
  --warmup-s S          unmeasured seconds before each measurement (default 1; --quick 0.25)
  --no-prime            skip the unrecorded priming pass before round 0 (default: prime; --quick: no prime)
  --connections N       HTTP keep-alive connections / TCP connections (default 16)
  --depth N             TCP frames in flight per connection (default 64)
  --redis-depth N       pushes or reads in flight per connection in the Redis comparison, both systems (default 32)
  --open-fraction F     open-loop rate as a fraction of the same round's max (default 0.5)
  --spin                open loop: busy-wait the last ms before each due time (sends within µs, but the generator
                        then takes a core the server needs on a 2-core machine; default: timer-driven, ~1 ms late at worst)
  --entities N          use N for every key space (smoke tests)
  --memory-entities L   comma list of entity counts for the memory case (default 100000,1000000; --quick 100000)
  --only L              comma list of case ids or groups: push, get, getfeatures, redis, durability, engine, memory
  --out DIR             where the <ISO time>.json and .md go (default bench/results)
  --verbose             a line per measurement on stderr (no progress bar)
`;

export function parseOptions(args: readonly string[]): SuiteOptions | "help" {
  const { values: v } = parseArgs({
    args: [...args],
    options: {
      ...ROUND_FLAGS,
      "no-prime": { type: "boolean", default: false },
      connections: { type: "string", default: "16" },
      depth: { type: "string", default: "64" },
      "redis-depth": { type: "string", default: "32" },
      "open-fraction": { type: "string", default: "0.5" },
      spin: { type: "boolean", default: false },
      entities: { type: "string" },
      "memory-entities": { type: "string" },
      only: { type: "string" },
      out: { type: "string" },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (v.help) return "help";
  const quick = v.quick;
  const fixed = v.entities === undefined ? null : Math.round(positive("entities", v.entities));
  const openFraction = positive("open-fraction", v["open-fraction"]);
  if (openFraction >= 1) throw new Error("--open-fraction must be below 1");
  return {
    quick,
    rounds: Math.round(positive("rounds", v.rounds ?? (quick ? "1" : "3"))),
    durationS: positive("duration-s", v["duration-s"] ?? (quick ? "0.8" : "4")),
    warmupS: positive("warmup-s", v["warmup-s"] ?? (quick ? "0.25" : "1")),
    prime: !quick && !v["no-prime"],
    primeS: quick ? 0.5 : 1.5,
    connections: Math.round(positive("connections", v.connections)),
    depth: Math.round(positive("depth", v.depth)),
    redisDepth: Math.round(positive("redis-depth", v["redis-depth"])),
    openFraction,
    spin: v.spin,
    pushEntities: fixed ?? (quick ? 10_000 : 100_000),
    pushLargeEntities: fixed ?? (quick ? 10_000 : 1_000_000),
    getEntities: fixed ?? (quick ? 10_000 : 100_000),
    servingEntities: fixed ?? (quick ? 2_000 : 10_000),
    redisEntities: fixed ?? (quick ? 10_000 : 100_000),
    fixedEntities: fixed,
    tapeEvents: fixed === null ? (quick ? 10_000 : 50_000) : Math.min(10_000, Math.max(1_000, fixed)),
    memoryEntities: (v["memory-entities"] ?? (quick ? "100000" : "100000,1000000")).split(",").map((s) => Math.round(positive("memory-entities", s.trim()))),
    only: v.only === undefined ? null : new Set(v.only.split(",").map((s) => s.trim()).filter((s) => s !== "")),
    outDir: v.out ?? fileURLToPath(new URL("../results/", import.meta.url)),
    verbose: v.verbose,
  };
}
