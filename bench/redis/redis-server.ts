/**
 * A local redis-server for the Redis comparison, started by the bench and stopped after it: loopback,
 * a free port, no persistence (`--save "" --appendonly no`), its own empty working directory. Nothing
 * is installed here: when redis-server is not on the PATH the caller reports the case as skipped.
 */
import { execFileSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { spawnReady, type ReadyChild } from "../lib/spawn-child.ts";

export interface RedisServer extends ReadyChild {
  readonly host: string;
  readonly port: number;
  /** e.g. "7.0.15". */
  readonly version: string;
  readonly args: readonly string[];
}

/**
 * The redis-server executable, or null: REDIS_SERVER when set (only that path), else the first on
 * the PATH or in /usr/bin, /usr/local/bin.
 */
export function findRedisServer(): string | null {
  const explicit = process.env["REDIS_SERVER"];
  const candidates =
    explicit !== undefined && explicit !== ""
      ? [explicit]
      : [...(process.env["PATH"] ?? "").split(delimiter).filter((d) => d !== "").map((d) => join(d, "redis-server")), "/usr/bin/redis-server", "/usr/local/bin/redis-server"];
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startRedis(bin: string): Promise<RedisServer> {
  const version = /v=(\S+)/.exec(execFileSync(bin, ["--version"], { encoding: "utf8" }))?.[1] ?? "unknown";
  const dir = mkdtempSync(join(tmpdir(), "tessera-bench-redis-"));
  // The port is free when probed; another process could take it before redis binds: retry then.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const args = [
      "--port", String(port),
      "--bind", "127.0.0.1",
      "--save", "",
      "--appendonly", "no",
      "--daemonize", "no",
      "--protected-mode", "yes",
      "--dir", dir,
      "--logfile", "",
      "--loglevel", "notice",
    ];
    try {
      const child = await spawnReady(bin, args, { readyPattern: /Ready to accept connections[^\n]*/, timeoutMs: 15_000 });
      const stop = async (graceMs?: number): Promise<number | null> => {
        const code = await child.stop(graceMs);
        rmSync(dir, { recursive: true, force: true });
        return code;
      };
      return { ...child, stop, host: "127.0.0.1", port, version, args: args.map((a) => (a === "" ? '""' : a)) };
    } catch (e) {
      if (attempt >= 2) {
        rmSync(dir, { recursive: true, force: true });
        throw e;
      }
    }
  }
}
