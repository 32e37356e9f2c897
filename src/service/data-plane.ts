import type { Caller } from "../auth/caller.ts";
import type { Engine, Registry, Value } from "../engine/index.ts";
import { TesseraError } from "../errors/tessera-error.ts";
import { asTesseraError } from "../errors/wire-errors.ts";
import { ALLOW_ALL, type AccessControl } from "./authorization.ts";
import type { Clock, TestClock } from "./clock.ts";
import type { CommandLog } from "./command-log.ts";
import { applyCommand } from "./state-machine.ts";
import { batchGetShape, DEFAULT_WORKSPACE, getShape, pushBatchShape, pushShape, registerShape, workspaceOf } from "./request-shapes.ts";

/**
 * The data plane service (DESIGN §1 service/): one method per beava operation, called by the REST
 * routes, the TCP listener and DataPlaneService alike, so every wire validates the same way. Bodies
 * arrive as parsed JSON data; replies are the beava JSON shapes. Mutations return synchronously when
 * their command is already durable (memory-only) and a promise otherwise.
 */

export type Ack<T> = T | Promise<T>;

/**
 * A reply that may be sent once `durable` resolves (rejecting: the command is not durable, answer
 * `durable`'s error). What push() turns into a promise per push, for a wire that waits for many
 * pushes at once: under --fsync always, every push of a group commit shares one `durable`.
 */
export class DurableReply<T> {
  readonly value: T;
  readonly durable: Promise<void>;

  constructor(value: T, durable: Promise<void>) {
    this.value = value;
    this.durable = durable;
  }
}

export interface DataPlaneOptions {
  readonly engine: Engine;
  readonly log: CommandLog;
  /** The engine clock; a TestClock in test mode. */
  readonly clock: Clock;
  /** Set in test mode: enables reset and clock control. */
  readonly testClock?: TestClock;
  readonly serverVersion: string;
  /**
   * Called with the registry a registration will install, after validation and before it is logged;
   * throwing rejects the registration (nothing is logged or applied). Feature serving compiles its
   * read plans here (DESIGN §8).
   */
  readonly onRegistryPlanned?: (workspace: string, next: Registry) => void;
  /** Authorization (DESIGN §6); absent: everything is allowed (--auth off, unit tests). */
  readonly access?: AccessControl;
}

export interface PushReply {
  readonly ack_lsn: number;
  readonly idempotent_replay: boolean;
  readonly registry_version: number;
}

/** Per-entry error inside batch replies: the beava error object. */
export interface EntryError {
  readonly error: { readonly code: string; readonly message: string; readonly [detail: string]: unknown };
}

export type PushOutcome = { readonly ack_lsn: number; readonly idempotent_replay: boolean } | EntryError;

export interface PushBatchReply {
  readonly outcomes: PushOutcome[];
  readonly registry_version: number;
}

export type FeatureRow = Record<string, Value>;

export interface BatchGetReply {
  readonly results: (FeatureRow | EntryError)[];
}

export interface PingReply {
  readonly pong: true;
  readonly server_version: string;
  readonly registry_version: number;
}

export interface ResetReply {
  readonly reset: true;
  readonly registry_version: number;
}

/** Summary of a push stream (DataPlaneService.PushStream). */
export interface PushStreamSummary {
  accepted: number;
  replayed: number;
  rejected: number;
  last_ack_lsn: number;
  /** The first rejections, at most MAX_STREAM_ERRORS. */
  errors: { index: number; error: EntryError["error"] }[];
  registry_version: number;
}

export const MAX_STREAM_ERRORS = 100;

export class DataPlane {
  private readonly engine: Engine;
  private readonly log: CommandLog;
  private readonly clock: Clock;
  private readonly testClock: TestClock | undefined;
  private readonly serverVersion: string;
  private readonly onRegistryPlanned: DataPlaneOptions["onRegistryPlanned"];
  private readonly access: AccessControl;

  constructor(options: DataPlaneOptions) {
    this.engine = options.engine;
    this.log = options.log;
    this.clock = options.clock;
    this.testClock = options.testClock;
    this.serverVersion = options.serverVersion;
    this.onRegistryPlanned = options.onRegistryPlanned;
    this.access = options.access ?? ALLOW_ALL;
  }

  /** Full-state registration (beava §1): dry_run and no-ops answer at once; changes go through the log. */
  register(body: unknown, caller?: Caller): Ack<unknown> {
    const ws = workspaceOf(body);
    this.access.workspace(caller, "register", ws);
    try {
      const envelope = registerShape(body);
      const plan = this.engine.planRegister(ws, envelope);
      if (plan.kind !== "apply") return plan.response;
      this.onRegistryPlanned?.(ws, plan.next);
      const now = this.clock.now();
      const { lsn, durable } = this.log.append({ type: "register", workspace: ws, envelope }, now);
      const response = applyCommand(this.engine, { type: "register", workspace: ws, envelope }, lsn, now, plan);
      return durable === undefined ? response : durable.then(() => response);
    } catch (e) {
      throw this.withRegistryVersion(e, ws);
    }
  }

  push(body: unknown, caller?: Caller): Ack<PushReply> {
    return toAck(this.pushDeferred(body, caller));
  }

  /** push() without a promise per push: the reply, deferred when it must wait for durability. */
  pushDeferred(body: unknown, caller?: Caller): PushReply | DurableReply<PushReply> {
    const ws = workspaceOf(body);
    this.access.workspace(caller, "push", ws);
    const { event, data } = pushShape(body);
    try {
      return this.pushOneDeferred(ws, event, data);
    } catch (e) {
      throw this.withRegistryVersion(e, ws);
    }
  }

  /** Each event gets its own outcome, in order; a rejected event does not affect the others. */
  pushBatch(body: unknown, caller?: Caller): Ack<PushBatchReply> {
    const ws = workspaceOf(body);
    this.access.workspace(caller, "push_batch", ws);
    this.engine.workspace(ws);
    const events = pushBatchShape(body);
    const outcomes: PushOutcome[] = new Array(events.length);
    // Acks become durable in LSN order: waiting for the highest one covers the others.
    let newest = 0;
    for (let i = 0; i < events.length; i++) {
      try {
        const { event, data } = pushShape(events[i]);
        const r = this.pushOneDeferred(ws, event, data);
        const v = r instanceof DurableReply ? r.value : r;
        if (r instanceof DurableReply && v.ack_lsn > newest) newest = v.ack_lsn;
        outcomes[i] = { ack_lsn: v.ack_lsn, idempotent_replay: v.idempotent_replay };
      } catch (e) {
        outcomes[i] = entryError(e);
      }
    }
    const reply = (): PushBatchReply => ({ outcomes, registry_version: this.engine.registryVersion(ws) });
    const durable = newest === 0 ? undefined : this.log.whenDurable(newest);
    return durable === undefined ? reply() : durable.then(reply);
  }

  /** Resolves once every command up to `lsn` is durable; undefined when they already are. */
  whenDurable(lsn: number): Promise<void> | undefined {
    return this.log.whenDurable(lsn);
  }

  /** A client stream of pushes into one workspace, summarised when it ends. */
  openPushStream(caller?: Caller): PushStreamWriter {
    return new PushStreamWriter(this, caller);
  }

  /** A push stream's check, per message (a key revoked mid-stream stops it). */
  authorizeStreamPush(caller: Caller | undefined, ws: string): void {
    this.access.workspace(caller, "push", ws);
  }

  /**
   * Validates, logs and applies one push; a dedupe replay answers the original ack. The reply is
   * deferred (no promise per push) when it must wait for durability.
   */
  pushOneDeferred(ws: string, event: string, data: unknown): PushReply | DurableReply<PushReply> {
    const now = this.clock.now();
    const prepared = this.engine.preparePush(ws, event, data, now);
    if (prepared.kind === "replay") {
      const reply: PushReply = { ack_lsn: prepared.ackLsn, idempotent_replay: true, registry_version: this.engine.registryVersion(ws) };
      const durable = this.log.whenDurable(prepared.ackLsn);
      return durable === undefined ? reply : new DurableReply(reply, durable);
    }
    const command = { type: "push", ...prepared.command } as const;
    const { lsn, durable } = this.log.append(command, now);
    const outcome = applyCommand(this.engine, command, lsn, now);
    const reply: PushReply = { ack_lsn: outcome.ackLsn, idempotent_replay: outcome.replay, registry_version: this.engine.registryVersion(ws) };
    return durable === undefined ? reply : new DurableReply(reply, durable);
  }

  /** One row: `{}` for a cold start; the whole call fails for an unknown feature. */
  get(body: unknown, caller?: Caller): FeatureRow {
    const ws = workspaceOf(body);
    this.access.workspace(caller, "get", ws);
    return this.readRow(ws, getShape(body), this.clock.now());
  }

  /**
   * Many rows at one read time. Bad entries (shape, unknown table, bad key) fail alone; an unknown
   * feature on an existing table fails the whole call (beava §5.2).
   */
  batchGet(body: unknown, caller?: Caller): BatchGetReply {
    const ws = workspaceOf(body);
    this.access.workspace(caller, "batch_get", ws);
    this.engine.workspace(ws);
    const requests = batchGetShape(body);
    const now = this.clock.now();
    const results: (FeatureRow | EntryError)[] = new Array(requests.length);
    for (let i = 0; i < requests.length; i++) {
      try {
        results[i] = this.readRow(ws, getShape(requests[i]), now);
      } catch (e) {
        if (e instanceof TesseraError && e.code === "feature_not_found") throw e;
        results[i] = entryError(e);
      }
    }
    return { results };
  }

  registryVersion(ws: string): number {
    return this.engine.registryVersion(ws);
  }

  ping(caller?: Caller): PingReply {
    this.access.authenticated(caller);
    return { pong: true, server_version: this.serverVersion, registry_version: this.engine.registryVersion(DEFAULT_WORKSPACE) };
  }

  /** Test mode only: clears the registry, state and dedupe cache of `workspace` (all when absent). */
  reset(body: unknown, caller?: Caller): Ack<ResetReply> {
    this.access.instance(caller, "reset");
    this.requireTestMode("reset");
    const named = typeof body === "object" && body !== null && (body as Record<string, unknown>)["workspace"] !== undefined;
    const ws = named ? workspaceOf(body) : undefined;
    if (ws !== undefined) this.engine.workspace(ws);
    const now = this.clock.now();
    const command = ws === undefined ? ({ type: "reset" } as const) : ({ type: "reset", workspace: ws } as const);
    const { lsn, durable } = this.log.append(command, now);
    applyCommand(this.engine, command, lsn, now);
    const reply: ResetReply = { reset: true, registry_version: this.engine.registryVersion(ws ?? DEFAULT_WORKSPACE) };
    return durable === undefined ? reply : durable.then(() => reply);
  }

  /** Test mode only: POST /test/clock. */
  controlClock(body: unknown, caller?: Caller): { now_ms: number } {
    this.access.instance(caller, "test_clock");
    return { now_ms: this.requireTestMode("test clock").control(body) };
  }

  private requireTestMode(what: string): TestClock {
    if (this.testClock === undefined) {
      const reason = `${what} requires the server's test mode (--test-mode or TESSERA_TEST_MODE=1)`;
      throw new TesseraError("reset_disabled_in_production", `reset_disabled_in_production: ${reason}`, { reason });
    }
    return this.testClock;
  }

  private readRow(ws: string, q: ReturnType<typeof getShape>, now: number): FeatureRow {
    const r = this.engine.read(ws, q.table, q.key, q.features, now);
    const row: FeatureRow = {};
    if (r === null) return row;
    for (let i = 0; i < r.features.length; i++) row[r.features[i]!.name] = r.values[i]!;
    return row;
  }

  /** beava puts the registry version next to register and push errors. */
  private withRegistryVersion(e: unknown, ws: string): TesseraError {
    const t = asTesseraError(e);
    if (t.details["registry_version"] !== undefined || t.code === "workspace_not_found") return t;
    let version: number;
    try {
      version = this.engine.registryVersion(ws);
    } catch {
      return t;
    }
    return new TesseraError(t.code, t.hasMessage ? t.message : undefined, { ...t.details, registry_version: version });
  }
}

/** Accumulates a push stream's outcomes; `finish` waits for the last ack to be durable. */
export class PushStreamWriter {
  private readonly plane: DataPlane;
  private readonly caller: Caller | undefined;
  private index = 0;
  private workspace: string | undefined;
  private readonly summary: PushStreamSummary = { accepted: 0, replayed: 0, rejected: 0, last_ack_lsn: 0, errors: [], registry_version: 0 };

  constructor(plane: DataPlane, caller?: Caller) {
    this.plane = plane;
    this.caller = caller;
  }

  /** One message of the stream; only the first message's workspace counts. */
  write(body: unknown): void {
    const i = this.index++;
    try {
      this.workspace ??= workspaceOf(body);
      this.plane.authorizeStreamPush(this.caller, this.workspace);
      const { event, data } = pushShape(body);
      const r = this.plane.pushOneDeferred(this.workspace, event, data);
      // Counted now: the summary is handed out only by finish(), once the highest ack is durable.
      this.count(r instanceof DurableReply ? r.value : r);
    } catch (e) {
      // A caller not allowed to push ends the whole stream with that error.
      if (e instanceof TesseraError && (e.code === "permission_denied" || e.code === "unauthenticated")) throw e;
      this.summary.rejected++;
      if (this.summary.errors.length < MAX_STREAM_ERRORS) this.summary.errors.push({ index: i, error: entryError(e).error });
    }
  }

  async finish(): Promise<PushStreamSummary> {
    // Acks become durable in LSN order: the highest one covers the others (a dedupe replay's older
    // ack included).
    if (this.summary.last_ack_lsn > 0) await this.plane.whenDurable(this.summary.last_ack_lsn);
    this.summary.registry_version = this.plane.registryVersion(this.workspace ?? DEFAULT_WORKSPACE);
    return this.summary;
  }

  private count(r: PushReply): void {
    if (r.idempotent_replay) this.summary.replayed++;
    else this.summary.accepted++;
    if (r.ack_lsn > this.summary.last_ack_lsn) this.summary.last_ack_lsn = r.ack_lsn;
  }
}

/** A deferred reply as the promise the other wires wait on. */
function toAck<T>(r: T | DurableReply<T>): Ack<T> {
  return r instanceof DurableReply ? r.durable.then(() => r.value) : r;
}

/**
 * The entry errors this service made. A batch_get row can look exactly like one (a feature named
 * `error` holding a JSON object with `code` and `message`), so typed wires ask here instead of
 * guessing from the shape; the JSON stays beava's.
 */
const entryErrors = new WeakSet<object>();

export function isEntryError(result: object): result is EntryError {
  return entryErrors.has(result);
}

function entryError(e: unknown): EntryError {
  const t = asTesseraError(e);
  const r: EntryError = { error: { ...t.details, code: t.code, message: t.message } };
  entryErrors.add(r);
  return r;
}

