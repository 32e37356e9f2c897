import { entryErrorFromBeava, TesseraClientError } from "./client-error.ts";
import type {
  BatchGetResult,
  DiffEntry,
  EntityKey,
  FeatureRow,
  GetRequest,
  JsonObject,
  JsonValue,
  PingResult,
  PushBatchResult,
  PushEvent,
  PushOutcome,
  PushResult,
  RegisterOptions,
  RegisterResult,
  RegistryDiff,
  ResetResult,
  TransportKind,
} from "./data-plane-client.ts";

/**
 * The beava request bodies and replies (snake_case JSON), shared by the HTTP and TCP transports,
 * which carry the same bodies (DESIGN §5). Replies are checked just enough that a wrong-shaped body
 * surfaces as a TesseraClientError instead of `undefined` members deep in the caller.
 */

type Body = Record<string, unknown>;

/** `workspace` is written only when given, so bodies stay byte-identical to beava's. */
function withWorkspace(body: Body, workspace: string | undefined): Body {
  if (workspace !== undefined) body["workspace"] = workspace;
  return body;
}

export function registerBody(nodes: readonly JsonObject[], options: RegisterOptions): Body {
  const body: Body = { nodes };
  if (options.force === true) body["force"] = true;
  if (options.dryRun === true) body["dry_run"] = true;
  return withWorkspace(body, options.workspace);
}

export function pushBody(event: string, data: JsonObject, workspace: string | undefined): Body {
  return withWorkspace({ event, data }, workspace);
}

export function pushBatchBody(events: readonly PushEvent[], workspace: string | undefined): Body {
  return withWorkspace({ events: events.map((e) => ({ event: e.event, data: e.data })) }, workspace);
}

function getEntry(table: string, key: EntityKey, features: readonly string[] | undefined): Body {
  const body: Body = { table, key };
  if (features !== undefined) body["features"] = features;
  return body;
}

export function getBody(table: string, key: EntityKey, features: readonly string[] | undefined, workspace: string | undefined): Body {
  return withWorkspace(getEntry(table, key, features), workspace);
}

export function batchGetBody(requests: readonly GetRequest[], workspace: string | undefined): Body {
  return withWorkspace({ requests: requests.map((r) => getEntry(r.table, r.key, r.features)) }, workspace);
}

export function resetBody(workspace: string | undefined): Body {
  return withWorkspace({}, workspace);
}

/** Reads the members of one reply; a missing or mistyped member is an `internal_error`. */
export class ReplyReader {
  private readonly transport: TransportKind;
  private readonly what: string;
  private readonly body: Body;

  constructor(transport: TransportKind, what: string, body: unknown) {
    this.transport = transport;
    this.what = what;
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw this.malformed("is not a JSON object");
    this.body = body as Body;
  }

  has(name: string): boolean {
    return this.body[name] !== undefined;
  }

  number(name: string, from: Body = this.body): number {
    const v = from[name];
    if (typeof v !== "number") throw this.malformed(`has no number \`${name}\``);
    return v;
  }

  boolean(name: string, from: Body = this.body): boolean {
    const v = from[name];
    if (typeof v !== "boolean") throw this.malformed(`has no boolean \`${name}\``);
    return v;
  }

  string(name: string): string {
    const v = this.body[name];
    if (typeof v !== "string") throw this.malformed(`has no string \`${name}\``);
    return v;
  }

  strings(name: string, from: Body = this.body): string[] {
    const v = from[name];
    if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) throw this.malformed(`has no string list \`${name}\``);
    return v as string[];
  }

  objects(name: string, from: Body = this.body): Body[] {
    const v = from[name];
    if (!Array.isArray(v) || !v.every(isBody)) throw this.malformed(`has no object list \`${name}\``);
    return v as Body[];
  }

  object(name: string): Body {
    const v = this.body[name];
    if (!isBody(v)) throw this.malformed(`has no object \`${name}\``);
    return v;
  }

  row(): FeatureRow {
    return this.body as FeatureRow;
  }

  malformed(problem: string): TesseraClientError {
    return new TesseraClientError("internal_error", `the ${this.what} reply ${problem}`, { transport: this.transport, details: { body: this.body } });
  }
}

function isBody(v: unknown): v is Body {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `descriptor_kind` → `descriptorKind`; values are left as the server wrote them. */
export function camelEntry(entry: Readonly<Record<string, unknown>>): DiffEntry {
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(entry)) out[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = v as JsonValue;
  return out as DiffEntry;
}

function diffOf(r: ReplyReader, diff: Body): RegistryDiff {
  return {
    additive: r.objects("additive", diff).map(camelEntry),
    destructive: r.objects("destructive", diff).map(camelEntry),
    alreadyPresent: r.strings("already_present", diff),
  };
}

export function registerResult(transport: TransportKind, body: unknown): RegisterResult {
  const r = new ReplyReader(transport, "register", body);
  if (r.has("diff")) return { diff: diffOf(r, r.object("diff")), wouldApply: false };
  return {
    status: "ok",
    registryVersion: r.number("registry_version"),
    registeredDescriptors: r.strings("registered_descriptors"),
    added: r.strings("added"),
    alreadyPresent: r.strings("already_present"),
  };
}

export function pushResult(transport: TransportKind, body: unknown): PushResult {
  const r = new ReplyReader(transport, "push", body);
  return { ackLsn: r.number("ack_lsn"), idempotentReplay: r.boolean("idempotent_replay"), registryVersion: r.number("registry_version") };
}

export function pushBatchResult(transport: TransportKind, body: unknown): PushBatchResult {
  const r = new ReplyReader(transport, "push_batch", body);
  const outcomes = r.objects("outcomes").map((o): PushOutcome =>
    o["error"] !== undefined ? { error: entryErrorFromBeava(o["error"]) } : { ackLsn: r.number("ack_lsn", o), idempotentReplay: r.boolean("idempotent_replay", o) },
  );
  return { outcomes, registryVersion: r.number("registry_version") };
}

export function getResult(transport: TransportKind, body: unknown): FeatureRow {
  return new ReplyReader(transport, "get", body).row();
}

/**
 * A batch_get entry holding an error is `{"error":{"code",...}}` and nothing else: only that exact
 * shape is read as an error, so a row with a feature named `error` stays a row.
 */
function isErrorEntry(entry: Body): boolean {
  const e = entry["error"];
  return Object.keys(entry).length === 1 && isBody(e) && typeof e["code"] === "string";
}

export function batchGetResult(transport: TransportKind, body: unknown): BatchGetResult {
  const r = new ReplyReader(transport, "batch_get", body);
  return {
    results: r.objects("results").map((e) => (isErrorEntry(e) ? { error: entryErrorFromBeava(e["error"]) } : { features: e as FeatureRow })),
  };
}

export function pingResult(transport: TransportKind, body: unknown): PingResult {
  const r = new ReplyReader(transport, "ping", body);
  return { pong: true, serverVersion: r.string("server_version"), registryVersion: r.number("registry_version") };
}

export function resetResult(transport: TransportKind, body: unknown): ResetResult {
  const r = new ReplyReader(transport, "reset", body);
  if (r.boolean("reset") !== true) throw r.malformed("does not say `reset: true`");
  return { reset: true, registryVersion: r.number("registry_version") };
}
