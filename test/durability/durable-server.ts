import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import type { FsyncMode } from "../../src/config.ts";
import { NODE_ARGS, whenReady, type SpawnedServer } from "../helpers/spawn-server.ts";

const CLI = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

/**
 * The tests here start the server a dozen times per file; on two busy cores the TypeScript transform
 * of the whole source tree takes seconds per start. Node's compile cache keeps the transformed
 * modules between starts (it is keyed by file contents, so an edited source is compiled afresh).
 */
const COMPILE_CACHE = process.env["NODE_COMPILE_CACHE"] ?? join(tmpdir(), "tessera-test-compile-cache");

export interface DurableOptions {
  /** Default "always": the mode under which an acknowledgement means durable. */
  readonly fsync?: FsyncMode;
  /** Runs the server under `ulimit -f` (KiB), so its file writes past that size fail with EFBIG. */
  readonly fileSizeLimitKiB?: number;
  /** Runs the server as this user and group id (a root test run cannot otherwise be denied a directory). */
  readonly uid?: number;
  /** --snapshot-interval-ms; default: the server's (30 s, i.e. only the snapshot on SIGTERM in a test). */
  readonly snapshotIntervalMs?: number;
}

export interface DurableServer extends SpawnedServer {
  /** SIGKILL (no shutdown, no flush) and wait for the process to be gone. */
  kill(): Promise<void>;
  /** The structured log lines written so far (pino JSON on stderr). */
  logs(): LogLine[];
}

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** pino's numeric levels. */
export const WARN = 40;
export const ERROR = 50;

/** A fresh data directory under the OS temp dir, removed when the test ends. */
export function tempDataDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "tessera-durability-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Launched {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
}

function launch(dataDir: string, options: DurableOptions): Launched {
  const args = [
    ...NODE_ARGS,
    CLI,
    "serve",
    ...["--http", "127.0.0.1:0", "--tcp", "127.0.0.1:0", "--admin", "127.0.0.1:0"],
    // Info level: the recovery lines are part of what the tests check.
    ...["--data-dir", dataDir, "--fsync", options.fsync ?? "always", "--log-level", "info"],
    ...(options.snapshotIntervalMs === undefined ? [] : ["--snapshot-interval-ms", String(options.snapshotIntervalMs)]),
  ];
  // TESSERA_* variables of the calling shell would change the configuration under test.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TESSERA_")));
  const env = { ...inherited, TESSERA_AUTH: "off", TESSERA_TEST_MODE: "1", NODE_COMPILE_CACHE: COMPILE_CACHE };
  const stdio: ["ignore", "pipe", "pipe"] = ["ignore", "pipe", "pipe"];
  const spawnOptions = { env, stdio, uid: options.uid, gid: options.uid };
  const child =
    options.fileSizeLimitKiB === undefined
      ? spawn(process.execPath, args, spawnOptions)
      : spawn("bash", ["-c", `ulimit -f ${options.fileSizeLimitKiB} && exec "$@"`, "bash", process.execPath, ...args], spawnOptions);
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
  return { child, stdout: () => out, stderr: () => err };
}

function parseLogs(text: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      // A line cut by a kill is not a log line.
    }
  }
  return lines;
}

/**
 * Starts the real server (the CLI, as a child process) with its command log in `<dataDir>/log`,
 * test mode and auth off, on free ports; resolves once it prints its ready line, i.e. once
 * recovery is done and every listener is open.
 */
export async function startDurable(dataDir: string, options: DurableOptions = {}): Promise<DurableServer> {
  const { child, stdout, stderr } = launch(dataDir, options);
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  const addresses = await whenReady(child, stdout, stderr);
  return {
    child,
    ...addresses,
    stderr,
    logs: () => parseLogs(stderr()),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const [code] = await exited;
      return code;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

export interface FailedStart {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the server where it is expected to refuse to start; resolves when it exits (rejects if it becomes ready). */
export async function startExpectingFailure(dataDir: string, options: DurableOptions = {}): Promise<FailedStart> {
  const { child, stdout, stderr } = launch(dataDir, options);
  const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
  if (/tessera ready/.test(stdout())) throw new Error("the server became ready");
  return { code, signal, stdout: stdout(), stderr: stderr() };
}

/**
 * One sample of the admin /metrics text (Prometheus exposition); `labels` as written there, e.g.
 * `reason="torn_tail"`. Undefined when the series is absent.
 */
export async function metric(server: SpawnedServer, name: string, labels = ""): Promise<number | undefined> {
  const text = await (await fetch(`${server.adminUrl}/metrics`)).text();
  const series = labels === "" ? name : `${name}{${labels}}`;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

export async function readyStatus(server: SpawnedServer): Promise<number> {
  return (await fetch(`${server.adminUrl}/ready`)).status;
}
