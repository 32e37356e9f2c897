/**
 * Drives redis-load-child.ts: a long-lived ioredis load-generator process, one job at a time.
 *   preload  every entity's event (the same events Tessera's preload gets), pipelined on one connection
 *   sample   the 12 features of given keys, for the parity check against Tessera
 *   push     closed loop: `connections` clients × `depth` pushes in flight, 14 commands each
 *   read     closed loop: the same, 39 commands each, reduced to the 12 features in the client
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { JobChild } from "../lib/job-child.ts";
import type { ObservedProcess } from "../lib/load.ts";
import type { LatencySummary } from "../lib/stats.ts";
import type { Features } from "./features.ts";

const CHILD = fileURLToPath(new URL("./redis-load-child.ts", import.meta.url));

interface Target {
  readonly host: string;
  readonly port: number;
}

export type RedisJob =
  | (Target & { readonly kind: "preload"; readonly entities: number; readonly seed: number })
  | (Target & { readonly kind: "sample"; readonly keys: readonly string[] })
  | (Target & {
      readonly kind: "push" | "read";
      readonly connections: number;
      readonly depth: number;
      readonly warmupMs: number;
      readonly durationMs: number;
      readonly entities: number;
      readonly dist: "uniform" | "zipf";
      readonly seed: number;
      /** Pre-built events (push) or keys (read), cycled. */
      readonly tapeEvents: number;
      readonly observePids: readonly number[];
    });

export interface RedisLoadResult {
  /** Pushes or reads completed in the measured window. */
  readonly ops: number;
  readonly opsPerS: number;
  readonly errors: number;
  readonly firstError: string | null;
  /** Per push / read: pipeline sent → all replies in. */
  readonly latency: LatencySummary;
  readonly clientCpuPct: number;
  readonly observed: readonly ObservedProcess[];
  /** Read: the features of the first read. */
  readonly sample: Features | null;
}

/** Whether the ioredis package can be loaded (it is a devDependency; a bare checkout may lack it). */
export function ioredisAvailable(): string | null {
  try {
    createRequire(import.meta.url).resolve("ioredis");
    return null;
  } catch {
    return "ioredis not installed";
  }
}

export class RedisLoadGenerator {
  private constructor(private readonly child: JobChild) {}

  static async start(env: NodeJS.ProcessEnv = process.env): Promise<RedisLoadGenerator> {
    return new RedisLoadGenerator(await JobChild.start(CHILD, "redis load", env));
  }

  get pid(): number {
    return this.child.pid;
  }

  preload(job: Extract<RedisJob, { kind: "preload" }>): Promise<number> {
    return this.child.call(job) as Promise<number>;
  }

  sample(job: Extract<RedisJob, { kind: "sample" }>): Promise<Record<string, Features>> {
    return this.child.call(job) as Promise<Record<string, Features>>;
  }

  run(job: Extract<RedisJob, { kind: "push" | "read" }>): Promise<RedisLoadResult> {
    return this.child.call(job) as Promise<RedisLoadResult>;
  }

  close(): Promise<void> {
    return this.child.close();
  }
}
