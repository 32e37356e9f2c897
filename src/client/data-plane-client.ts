/**
 * The one interface of the Tessera data-plane client, whatever the wire (HTTP, framed TCP or
 * Connect). Replies are the beava reply shapes with camelCase member names (`ack_lsn` → `ackLsn`);
 * user data — registry nodes, event data, feature rows — is passed through as JSON, untouched.
 * Every failure is a TesseraClientError (client-error.ts).
 */

/** Per-request deadline of every transport unless its options say otherwise. */
export const DEFAULT_TIMEOUT_MS = 30_000;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Every request may name a workspace; the server defaults to `prod`. */
export interface WorkspaceOption {
  readonly workspace?: string;
}

export interface RegisterOptions extends WorkspaceOption {
  /** Apply destructive changes, dropping the affected state. Default false. */
  readonly force?: boolean;
  /** Validate and return the diff without applying it. Default false. */
  readonly dryRun?: boolean;
}

/**
 * An entity key: one wire string (composite keys `|`-joined in key-column order, `%7C` for `|` and
 * `%25` for `%` inside a segment; "" for a global table), or the segments, which the server joins.
 */
export type EntityKey = string | readonly string[];

export interface GetOptions extends WorkspaceOption {
  /** Only these features; all when absent. An empty list reads `{}`. */
  readonly features?: readonly string[];
}

export interface GetRequest {
  readonly table: string;
  readonly key: EntityKey;
  readonly features?: readonly string[];
}

export interface PushEvent {
  readonly event: string;
  readonly data: JsonObject;
}

/** One registry diff entry as the server describes it, its member names camelCased (`descriptorKind`). */
export interface DiffEntry {
  readonly kind: string;
  readonly [member: string]: JsonValue;
}

export interface RegistryDiff {
  readonly additive: readonly DiffEntry[];
  readonly destructive: readonly DiffEntry[];
  readonly alreadyPresent: readonly string[];
}

/** A registration that was applied, or changed nothing (`registryVersion` unchanged). */
export interface RegisterApplied {
  readonly status: "ok";
  readonly registryVersion: number;
  /** The names in the payload, in payload order. */
  readonly registeredDescriptors: readonly string[];
  readonly added: readonly string[];
  readonly alreadyPresent: readonly string[];
}

/** The answer to a `dryRun` registration: what would change. */
export interface RegisterDryRun {
  readonly diff: RegistryDiff;
  readonly wouldApply: false;
}

export type RegisterResult = RegisterApplied | RegisterDryRun;

export interface PushResult {
  /** Position of the event in the server's command log: strictly increasing, otherwise opaque. */
  readonly ackLsn: number;
  /** True when a deduplicated event was pushed again; `ackLsn` is then the original one. */
  readonly idempotentReplay: boolean;
  readonly registryVersion: number;
}

/** An error reported for one entry of a batch; the other entries are unaffected. */
export interface EntryError {
  readonly code: string;
  readonly message: string;
  /** The other members of the server's error object (`reason`, `path`, ...). */
  readonly details: Readonly<Record<string, unknown>>;
}

export type PushOutcome =
  | { readonly ackLsn: number; readonly idempotentReplay: boolean; readonly error?: undefined }
  | { readonly error: EntryError };

export interface PushBatchResult {
  /** One outcome per event, in request order. */
  readonly outcomes: readonly PushOutcome[];
  readonly registryVersion: number;
}

/** Feature name → value; `{}` for an entity that has no data (cold start). */
export type FeatureRow = Record<string, JsonValue>;

/** One batch_get entry: its row, or the error of that entry alone. */
export type BatchGetEntry =
  | { readonly features: FeatureRow; readonly error?: undefined }
  | { readonly error: EntryError; readonly features?: undefined };

export interface BatchGetResult {
  /** One entry per request, in request order. */
  readonly results: readonly BatchGetEntry[];
}

export interface PingResult {
  readonly pong: true;
  readonly serverVersion: string;
  /** The registry version of the `prod` workspace. */
  readonly registryVersion: number;
}

export interface ResetResult {
  readonly reset: true;
  readonly registryVersion: number;
}

export type TransportKind = "http" | "tcp" | "connect";

export interface DataPlaneClient {
  readonly transport: TransportKind;
  /** Full-state registration: `nodes` is the workspace's whole registry; a missing node is a removal. */
  register(nodes: readonly JsonObject[], options?: RegisterOptions): Promise<RegisterResult>;
  push(event: string, data: JsonObject, options?: WorkspaceOption): Promise<PushResult>;
  pushBatch(events: readonly PushEvent[], options?: WorkspaceOption): Promise<PushBatchResult>;
  get(table: string, key: EntityKey, options?: GetOptions): Promise<FeatureRow>;
  /** Rows read at one point in time. An unknown feature fails the whole call; other errors fail one entry. */
  batchGet(requests: readonly GetRequest[], options?: WorkspaceOption): Promise<BatchGetResult>;
  ping(): Promise<PingResult>;
  /** Test mode only: clears the registry and state of `workspace`, or of every workspace when absent. */
  reset(options?: WorkspaceOption): Promise<ResetResult>;
  /** Releases connections; requests still in flight are rejected. Idempotent. */
  close(): Promise<void>;
}
