/**
 * The real Tessera server as a child, freshly started for every suite case: auth off, warn logs,
 * free loopback ports, framed TCP on, memory-only unless the case asks for the command log. Like
 * bench/lib/tessera-server.ts, plus: a storage mode, and Node's compile cache so the TypeScript
 * transform of the sources is not redone on each of the suite's many starts (it changes start-up
 * time only, not what is measured).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { baseUrl, parseHostPort, readyFields, spawnReady, TS_NODE_ARGS } from "../lib/spawn-child.ts";
import type { TesseraServer } from "../lib/tessera-server.ts";
import { track } from "./children.ts";

const CLI = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

/** Shared with bench/durability (same default directory), so either warms the other's cache. */
export const COMPILE_CACHE = process.env["NODE_COMPILE_CACHE"] ?? join(tmpdir(), "tessera-bench-compile-cache");

export interface SuiteServerOptions {
  /** "memory-only" (default) or the command log with this fsync mode, in a temp data dir removed on stop. */
  readonly storage?: "memory-only" | "always" | "interval" | "off";
  /** `--test-mode` (the serving case pins the clock). */
  readonly testMode?: boolean;
}

export interface SuiteServer extends TesseraServer {
  readonly tcpAddr: { host: string; port: number };
  /** The command line flags it was started with (for the conditions). */
  readonly flags: readonly string[];
}

/** The environment of every child the suite starts: no TESSERA_* from the caller's shell, the compile cache on. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TESSERA_")));
  return { ...env, NODE_COMPILE_CACHE: COMPILE_CACHE, ...extra };
}

export async function startTessera(options: SuiteServerOptions = {}): Promise<SuiteServer> {
  const storage = options.storage ?? "memory-only";
  const dataDir = storage === "memory-only" ? null : mkdtempSync(join(tmpdir(), "tessera-bench-suite-data-"));
  const flags = [
    ...(dataDir === null ? ["--memory-only"] : ["--data-dir", dataDir, "--fsync", storage]),
    "--auth", "off",
    "--log-level", "warn",
    ...(options.testMode === true ? ["--test-mode"] : []),
  ];
  const args = [...TS_NODE_ARGS, CLI, "serve", "--http", "127.0.0.1:0", "--tcp", "127.0.0.1:0", "--admin", "127.0.0.1:0", ...flags];
  let child;
  try {
    child = await spawnReady(process.execPath, args, { readyPattern: /tessera ready [^\n]*/, env: childEnv(), timeoutMs: 120_000 });
  } catch (e) {
    if (dataDir !== null) rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  const fields = readyFields(child.readyLine, 2);
  const http = parseHostPort(fields["http"] as string);
  const admin = parseHostPort(fields["admin"] as string);
  const tcp = parseHostPort(fields["tcp"] as string);
  const stop = async (graceMs?: number): Promise<number | null> => {
    const code = await child.stop(graceMs);
    if (dataDir !== null) rmSync(dataDir, { recursive: true, force: true });
    return code;
  };
  return track({
    ...child,
    stop,
    http,
    tcp,
    tcpAddr: tcp,
    admin,
    url: baseUrl(http),
    adminUrl: baseUrl(admin),
    flags: ["serve", ...flags, "(loopback, free ports)"],
  });
}
