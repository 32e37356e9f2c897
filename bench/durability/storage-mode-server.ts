/**
 * Starts the real Tessera server (the CLI) as a child in one storage mode: `--memory-only`, or the
 * command log in `<dataDir>/log` with `--fsync always|interval|off`. bench/lib/tessera-server.ts
 * always runs memory-only, which is the baseline here and not the thing measured.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FsyncMode } from "../../src/config.ts";
import { baseUrl, parseHostPort, readyFields, spawnReady, TS_NODE_ARGS, type HostPort, type ReadyChild } from "../lib/spawn-child.ts";

const CLI = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

export type StorageMode = "memory-only" | FsyncMode;

export interface ModeServer extends ReadyChild {
  readonly mode: StorageMode;
  readonly url: string;
  readonly tcp: HostPort;
  readonly adminUrl: string;
  /** Milliseconds from spawn to the ready line (start-up, recovery included). */
  readonly readyMs: number;
}

/**
 * The server transforms its TypeScript on every start, which takes seconds on a busy 2-core box and
 * is no part of what is measured; Node's compile cache (keyed by file contents) keeps it between
 * starts. Recovery time is read from the server's own log line, which the cache does not touch.
 */
const COMPILE_CACHE = process.env["NODE_COMPILE_CACHE"] ?? join(tmpdir(), "tessera-bench-compile-cache");

export async function spawnMode(mode: StorageMode, dataDir: string, logLevel = "warn", extraArgs: readonly string[] = []): Promise<ModeServer> {
  const storage = mode === "memory-only" ? ["--memory-only"] : ["--data-dir", dataDir, "--fsync", mode];
  const args = [
    ...TS_NODE_ARGS,
    CLI,
    "serve",
    ...["--http", "127.0.0.1:0", "--tcp", "127.0.0.1:0", "--admin", "127.0.0.1:0"],
    ...["--auth", "off", "--log-level", logLevel],
    ...storage,
    ...extraArgs,
  ];
  // TESSERA_* variables from the caller's shell would silently change the configuration under test.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TESSERA_")));
  const started = performance.now();
  const child = await spawnReady(process.execPath, args, {
    readyPattern: /tessera ready [^\n]*/,
    env: { ...env, NODE_COMPILE_CACHE: COMPILE_CACHE },
    timeoutMs: 600_000,
  });
  const readyMs = performance.now() - started;
  const fields = readyFields(child.readyLine, 2);
  return {
    ...child,
    mode,
    url: baseUrl(parseHostPort(fields["http"]!)),
    tcp: parseHostPort(fields["tcp"]!),
    adminUrl: baseUrl(parseHostPort(fields["admin"]!)),
    readyMs,
  };
}

/** The sum and count of a Prometheus histogram on the admin /metrics (zeros when absent, e.g. memory-only). */
export async function histogramTotals(server: ModeServer, name: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${server.adminUrl}/metrics`)).text();
  const value = (series: string): number => {
    const line = text.split("\n").find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  };
  return { sum: value(`${name}_sum`), count: value(`${name}_count`) };
}
