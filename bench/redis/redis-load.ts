/**
 * Drives redis-load-child.ts: a long-lived ioredis load-generator process, one job at a time.
 *   preload  every entity's event (the same events Tessera's preload gets), pipelined on one connection
 *   sample   the 12 features of given keys, for the parity check against Tessera
 *   push     closed loop: `connections` clients × `depth` pushes in flight, 14 commands each
 *   read     closed loop: the same, 39 commands each, reduced to the 12 features in the client
 */
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { ObservedProcess } from "../lib/load.ts";
import { TS_NODE_ARGS } from "../lib/spawn-child.ts";
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

type Reply = { ok: true; result: unknown } | { ok: false; error: string };

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
  private pending: { resolve: (r: unknown) => void; reject: (e: Error) => void } | null = null;

  private constructor(private readonly child: ChildProcess) {
    child.on("message", (m: Reply) => {
      const p = this.pending;
      this.pending = null;
      if (p === null) return;
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`redis load: ${m.error}`));
    });
    child.on("exit", (code) => {
      const p = this.pending;
      this.pending = null;
      p?.reject(new Error(`redis load child exited with ${code} during a job`));
    });
  }

  static async start(env: NodeJS.ProcessEnv = process.env): Promise<RedisLoadGenerator> {
    const child = fork(CHILD, [], { execArgv: [...TS_NODE_ARGS], env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const [msg] = (await Promise.race([
      once(child, "message"),
      once(child, "exit").then(([code]) => {
        throw new Error(`redis load child exited with ${code} before ready`);
      }),
    ])) as [unknown];
    if ((msg as { ready?: boolean }).ready !== true) throw new Error(`redis load child: unexpected ${JSON.stringify(msg)}`);
    return new RedisLoadGenerator(child);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  private call(job: RedisJob): Promise<unknown> {
    if (this.pending !== null) return Promise.reject(new Error("redis load: one job at a time"));
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.reject(new Error("redis load child has exited"));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.child.send(job);
    });
  }

  preload(job: Extract<RedisJob, { kind: "preload" }>): Promise<number> {
    return this.call(job) as Promise<number>;
  }

  sample(job: Extract<RedisJob, { kind: "sample" }>): Promise<Record<string, Features>> {
    return this.call(job) as Promise<Record<string, Features>>;
  }

  run(job: Extract<RedisJob, { kind: "push" | "read" }>): Promise<RedisLoadResult> {
    return this.call(job) as Promise<RedisLoadResult>;
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = once(this.child, "exit");
      this.child.kill("SIGTERM");
      await exited;
    }
  }
}
