import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { parse as parseYaml } from "yaml";

/** A listen address. `port` 0 means "pick a free port". */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export type FsyncMode = "always" | "interval" | "off";
export type AuthMode = "required" | "off";
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

/** The resolved server configuration (DESIGN §3). */
export interface TesseraConfig {
  /** Connect + REST, HTTP/1.1 and h2c on one port. Default 127.0.0.1:8080. */
  readonly http: ListenAddress;
  /** Framed TCP; null when disabled (`off`). Default 127.0.0.1:8081. */
  readonly tcp: ListenAddress | null;
  /** Admin listener (/health /ready /metrics /registry). Default 127.0.0.1:8090. */
  readonly admin: ListenAddress;
  /** Command log, snapshots and key files. Default ./data. */
  readonly dataDir: string;
  /** No log, no snapshots. Default false. */
  readonly memoryOnly: boolean;
  /** Default interval. */
  readonly fsync: FsyncMode;
  /** A snapshot at most this often (ms) when something changed; 0: no periodic snapshots. Default 30 000. */
  readonly snapshotIntervalMs: number;
  /** A snapshot once this many commands were logged since the last one; 0: never by count. Default 1 000 000. */
  readonly snapshotEvery: number;
  /** Snapshots kept on disk (the log is reclaimed up to the oldest). Default 2. */
  readonly snapshotKeep: number;
  /** Default required. */
  readonly auth: AuthMode;
  /** Enables /reset and the test clock. Default false. */
  readonly testMode: boolean;
  /** Default info. */
  readonly logLevel: LogLevel;
  /** TESSERA_ADMIN_KEY (env only): the bootstrap admin API key; absent: generated into <data-dir>/admin.key. */
  readonly adminKey?: string;
  /** TESSERA_MASTER_KEY (env only): base64 of the 32-byte secrets master key; absent: <data-dir>/master.key. */
  readonly masterKey?: string;
}

/** One option: its flag, env var and YAML key, so the three sources can never drift apart. */
interface OptionSpec {
  readonly key: keyof TesseraConfig;
  readonly yaml: string;
  readonly env: string;
  readonly kind: "address" | "tcp-address" | "string" | "boolean" | "enum" | "integer";
  readonly values?: readonly string[];
  /** Smallest accepted value of an integer option. */
  readonly min?: number;
}

export const OPTION_SPECS: readonly OptionSpec[] = [
  { key: "http", yaml: "http", env: "TESSERA_HTTP", kind: "address" },
  { key: "tcp", yaml: "tcp", env: "TESSERA_TCP", kind: "tcp-address" },
  { key: "admin", yaml: "admin", env: "TESSERA_ADMIN", kind: "address" },
  { key: "dataDir", yaml: "data_dir", env: "TESSERA_DATA_DIR", kind: "string" },
  { key: "memoryOnly", yaml: "memory_only", env: "TESSERA_MEMORY_ONLY", kind: "boolean" },
  { key: "fsync", yaml: "fsync", env: "TESSERA_FSYNC", kind: "enum", values: ["always", "interval", "off"] },
  { key: "snapshotIntervalMs", yaml: "snapshot_interval_ms", env: "TESSERA_SNAPSHOT_INTERVAL_MS", kind: "integer", min: 0 },
  { key: "snapshotEvery", yaml: "snapshot_every", env: "TESSERA_SNAPSHOT_EVERY", kind: "integer", min: 0 },
  { key: "snapshotKeep", yaml: "snapshot_keep", env: "TESSERA_SNAPSHOT_KEEP", kind: "integer", min: 1 },
  { key: "auth", yaml: "auth", env: "TESSERA_AUTH", kind: "enum", values: ["required", "off"] },
  { key: "testMode", yaml: "test_mode", env: "TESSERA_TEST_MODE", kind: "boolean" },
  {
    key: "logLevel",
    yaml: "log_level",
    env: "TESSERA_LOG_LEVEL",
    kind: "enum",
    values: ["fatal", "error", "warn", "info", "debug", "trace", "silent"],
  },
];

export const DEFAULT_CONFIG: TesseraConfig = {
  http: { host: "127.0.0.1", port: 8080 },
  tcp: { host: "127.0.0.1", port: 8081 },
  admin: { host: "127.0.0.1", port: 8090 },
  dataDir: "./data",
  memoryOnly: false,
  fsync: "interval",
  snapshotIntervalMs: 30_000,
  snapshotEvery: 1_000_000,
  snapshotKeep: 2,
  auth: "required",
  testMode: false,
  logLevel: "info",
};

/** A configuration the server refuses to start with. The CLI prints the message and exits 2. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Raw option values from one source (flags, env or file), as strings or booleans, keyed by config key. */
export type RawOptions = Partial<Record<keyof TesseraConfig, string | boolean>>;

export interface ResolveInput {
  /** Values from command-line flags (highest precedence). */
  readonly flags?: RawOptions;
  /** The environment (defaults to none; the CLI passes process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Path of a YAML file (`--config FILE`). */
  readonly configFile?: string;
}

/** Resolves the configuration with precedence flag > env > file > default, then applies refusal rules. */
export function resolveConfig(input: ResolveInput): TesseraConfig {
  const fromFile = input.configFile === undefined ? {} : readConfigFile(input.configFile);
  const fromEnv = readEnv(input.env ?? {});
  const flags = input.flags ?? {};
  const merged: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const spec of OPTION_SPECS) {
    const raw = flags[spec.key] ?? fromEnv[spec.key] ?? fromFile[spec.key];
    if (raw !== undefined) merged[spec.key] = convert(spec, raw, sourceOf(spec, flags, fromEnv));
  }
  readKeyEnv(input.env ?? {}, merged);
  const config = merged as unknown as TesseraConfig;
  refuseUnsafe(config);
  return config;
}

/**
 * The two secrets come from the environment only (never flags, which other users can see, nor the
 * YAML file); they are added to the config only when set.
 */
function readKeyEnv(env: Readonly<Record<string, string | undefined>>, merged: Record<string, unknown>): void {
  const admin = env["TESSERA_ADMIN_KEY"];
  if (admin !== undefined && admin !== "") {
    if (admin.length < 16 || admin.length > 512 || /\s/.test(admin)) {
      throw new ConfigError("env TESSERA_ADMIN_KEY: must be 16 to 512 characters without whitespace");
    }
    merged["adminKey"] = admin;
  }
  const master = env["TESSERA_MASTER_KEY"];
  if (master !== undefined && master !== "") {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(master) || Buffer.from(master, "base64").length !== 32) {
      throw new ConfigError("env TESSERA_MASTER_KEY: must be the base64 of exactly 32 bytes (e.g. `openssl rand -base64 32`)");
    }
    merged["masterKey"] = master;
  }
}

function sourceOf(spec: OptionSpec, flags: RawOptions, env: RawOptions): string {
  if (flags[spec.key] !== undefined) return `flag --${spec.yaml.replaceAll("_", "-")}`;
  if (env[spec.key] !== undefined) return `env ${spec.env}`;
  return `config key ${spec.yaml}`;
}

function readEnv(env: Readonly<Record<string, string | undefined>>): RawOptions {
  const out: RawOptions = {};
  for (const spec of OPTION_SPECS) {
    const v = env[spec.env];
    if (v !== undefined && v !== "") out[spec.key] = v;
  }
  return out;
}

function readConfigFile(path: string): RawOptions {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new ConfigError(`config file ${path} must be a mapping of option: value`);
  }
  const out: RawOptions = {};
  for (const [k, v] of Object.entries(doc)) {
    const spec = OPTION_SPECS.find((s) => s.yaml === k);
    // Unknown keys are refused: a typo must not silently fall back to a default.
    if (spec === undefined) {
      throw new ConfigError(`config file ${path}: unknown key "${k}" (known: ${OPTION_SPECS.map((s) => s.yaml).join(", ")})`);
    }
    if (typeof v === "boolean") out[spec.key] = v;
    else if (typeof v === "string" || typeof v === "number") out[spec.key] = String(v);
    else throw new ConfigError(`config file ${path}: key "${k}" must be a string, number or boolean`);
  }
  return out;
}

function convert(spec: OptionSpec, raw: string | boolean, source: string): unknown {
  switch (spec.kind) {
    case "address":
      return parseAddress(String(raw), source);
    case "tcp-address":
      return String(raw).toLowerCase() === "off" ? null : parseAddress(String(raw), source);
    case "string": {
      const s = String(raw);
      if (s === "") throw new ConfigError(`${source}: must not be empty`);
      return s;
    }
    case "boolean":
      return parseBoolean(raw, source);
    case "integer": {
      const s = String(raw).trim();
      const n = Number(s);
      if (!/^\d+$/.test(s) || !Number.isSafeInteger(n) || n < (spec.min ?? 0)) {
        throw new ConfigError(`${source}: "${String(raw)}" is not an integer >= ${spec.min ?? 0}`);
      }
      return n;
    }
    case "enum": {
      const s = String(raw).toLowerCase();
      if (!spec.values?.includes(s)) {
        throw new ConfigError(`${source}: "${String(raw)}" is not one of ${spec.values?.join("|")}`);
      }
      return s;
    }
  }
}

function parseBoolean(raw: string | boolean, source: string): boolean {
  if (typeof raw === "boolean") return raw;
  const s = raw.toLowerCase();
  if (s === "1" || s === "true" || s === "yes" || s === "on") return true;
  if (s === "0" || s === "false" || s === "no" || s === "off") return false;
  throw new ConfigError(`${source}: "${raw}" is not a boolean (1/0, true/false)`);
}

/** Parses HOST:PORT, [IPv6]:PORT or :PORT (all interfaces). */
export function parseAddress(raw: string, source = "address"): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*)):(\d{1,5})$/.exec(raw.trim());
  if (m === null) throw new ConfigError(`${source}: "${raw}" is not HOST:PORT`);
  const host = m[1] ?? (m[2] === "" ? "0.0.0.0" : (m[2] as string));
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(`${source}: port ${port} is out of range`);
  return { host, port };
}

export function formatAddress(a: ListenAddress): string {
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1" || host === "0:0:0:0:0:0:0:1";
}

function refuseUnsafe(c: TesseraConfig): void {
  if (c.auth === "off") {
    const exposed = [c.http, c.tcp, c.admin].filter((a): a is ListenAddress => a !== null && !isLoopback(a.host));
    if (exposed.length > 0) {
      throw new ConfigError(
        `--auth off is for local use only; refusing to listen on non-loopback ${exposed.map(formatAddress).join(", ")}`,
      );
    }
  }
}
