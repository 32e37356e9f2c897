import { TesseraError } from "../errors/tessera-error.ts";
import type { AggregationSpec } from "./aggregate/catalogue.ts";
import { emptyRegistry, planRegistration } from "./registry/index.ts";
import type { RegisterResponse, Registry, RegistrationPlan } from "./registry/index.ts";
import type { CompiledEvent } from "./registry/model.ts";
import { ActiveSnapshot } from "./snapshot/engine-snapshot.ts";
import type { EngineSnapshot } from "./snapshot/engine-snapshot.ts";
import { restoreSnapshot } from "./snapshot/restore.ts";
import { snapshotError } from "../errors/snapshot-fields.ts";
import { DedupeCache } from "./state/dedupe.ts";
import type { FeatureInfo } from "./state/feature-runtime.ts";
import { readKey } from "./state/keys.ts";
import { acceptsPush, checkPushFields, checkPushShape } from "./state/push-validation.ts";
import { TableState } from "./state/table-state.ts";
import type { Row, Value } from "./types.ts";

/**
 * The engine facade: the only API the service layer uses. Synchronous, no I/O and no clock: every
 * call that depends on time takes `now` (epoch ms). Mutations are split into a pure validation step
 * (planRegister, preparePush) that yields a plain-data command, and an apply step, so the service can
 * log the command in between and recovery can replay it with its recorded `now`.
 */

export interface EngineOptions {
  /** The workspace that exists from the start, live. Default "prod". */
  readonly defaultWorkspace?: string;
}

/** A validated push, as plain JSON data (what the command log stores). */
export interface PushCommand {
  readonly workspace: string;
  readonly event: string;
  readonly data: Row;
}

export type PreparedPush = { readonly kind: "replay"; readonly ackLsn: number } | { readonly kind: "apply"; readonly command: PushCommand };

/** What applyPush did: applied with `ackLsn` = the given lsn, or found a dedupe entry (replay). */
export interface PushOutcome {
  readonly replay: boolean;
  readonly ackLsn: number;
}

export interface ReadOptions {
  /**
   * Ends windows here instead of at `now` (Tecton's AGGREGATION_MODE_LATEST_EVENT_TIME: pass the
   * table's watermark). Tiled windows end at its tile boundary.
   */
  readonly windowEnd?: number;
}

export interface ReadResult {
  readonly features: readonly FeatureInfo[];
  readonly values: Value[];
  /** Per feature: the tile boundary a tiled value is as of (Tecton effectiveTime), else undefined. */
  readonly effectiveTimes: (number | undefined)[];
}

export interface WorkspaceInfo {
  readonly name: string;
  readonly live: boolean;
}

export interface EngineStats {
  readonly workspaces: number;
  readonly tables: number;
  /** Resident entities (cold ones not yet swept included). */
  readonly entities: number;
  readonly dedupeEntries: number;
  /** Cumulative: entities reset on push or removed by sweep because they were cold. */
  readonly coldEvictions: number;
}

interface Workspace {
  readonly name: string;
  readonly live: boolean;
  registry: Registry;
  tables: Map<string, TableState>;
  /** Event name → its definition and the states of the tables it feeds (resolved once per registration). */
  routes: Map<string, Route>;
  readonly dedupe: DedupeCache;
}

const WORKSPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export class Engine {
  private readonly workspaces = new Map<string, Workspace>();
  private readonly defaultWorkspace: string;
  /** Cold evictions of tables that no longer exist (keeps the stat cumulative). */
  private retiredColdEvictions = 0;
  /** The snapshot whose copy-on-write is in progress (tables and dedupe caches are frozen). */
  private snapshot: ActiveSnapshot | null = null;

  constructor(options: EngineOptions = {}) {
    this.defaultWorkspace = options.defaultWorkspace ?? "prod";
    this.workspaces.set(this.defaultWorkspace, newWorkspace(this.defaultWorkspace, true));
  }

  // --- snapshots (snapshot/README.md) -------------------------------------------------------------

  /**
   * Starts a consistent snapshot of the whole engine state as it is now (between two commands).
   * Pushes, reads and sweeps may go on while its chunks are taken with `next`; at most one snapshot
   * is in progress at a time (failed_precondition otherwise).
   */
  beginSnapshot(): EngineSnapshot {
    if (this.snapshot !== null) throw new TesseraError("failed_precondition", "a snapshot is already in progress");
    const subject = {
      defaultWorkspace: this.defaultWorkspace,
      retiredColdEvictions: this.retiredColdEvictions,
      workspaces: [...this.workspaces.values()],
    };
    const s = new ActiveSnapshot(subject, () => {
      if (this.snapshot === s) this.snapshot = null;
    });
    this.snapshot = s;
    return s;
  }

  /**
   * A new engine whose state is exactly the snapshot's (chunks in the order `next` returned them).
   * Throws TesseraError("internal_error", "snapshot: <what is wrong>") on any undecodable or
   * inconsistent input, and nothing else. `options.defaultWorkspace` defaults to the snapshot's; it
   * must be one of its workspaces.
   */
  static fromSnapshot(chunks: Iterable<Uint8Array>, options: EngineOptions = {}): Engine {
    const state = restoreSnapshot(chunks);
    const name = options.defaultWorkspace ?? state.defaultWorkspace;
    if (!state.workspaces.some((w) => w.name === name)) throw snapshotError(`the default workspace ${JSON.stringify(name)} is not in the snapshot`);
    const e = new Engine({ defaultWorkspace: name });
    e.workspaces.clear();
    for (const w of state.workspaces) e.workspaces.set(w.name, { ...w, routes: routesOf(w.registry, w.tables) });
    e.retiredColdEvictions = state.retiredColdEvictions;
    return e;
  }

  /**
   * Registrations and resets replace or rewrite state wholesale, which copy-on-write does not cover:
   * a snapshot in progress writes everything it has left first. (Creating a workspace touches no
   * existing state; deleting one only drops it, and the snapshot still holds what it froze.)
   */
  private settleSnapshot(): void {
    this.snapshot?.drain();
  }

  // --- workspaces -------------------------------------------------------------------------------

  /** Throws what createWorkspace would (invalid_argument, workspace_already_exists); changes nothing. */
  checkNewWorkspace(name: string): void {
    if (!WORKSPACE_NAME.test(name)) {
      throw new TesseraError("invalid_argument", `invalid workspace name ${JSON.stringify(name)}: 1-64 letters, digits, '_' or '-', starting with a letter or digit`);
    }
    if (this.workspaces.has(name)) throw new TesseraError("workspace_already_exists", `workspace ${JSON.stringify(name)} already exists`);
  }

  createWorkspace(name: string, live: boolean): WorkspaceInfo {
    this.checkNewWorkspace(name);
    this.workspaces.set(name, newWorkspace(name, live));
    return { name, live };
  }

  /** Throws what deleteWorkspace would (workspace_not_found, failed_precondition); changes nothing. */
  checkDeletableWorkspace(name: string): void {
    this.workspace(name);
    if (name === this.defaultWorkspace) {
      throw new TesseraError("failed_precondition", `the default workspace ${JSON.stringify(name)} cannot be deleted`);
    }
  }

  deleteWorkspace(name: string): void {
    this.checkDeletableWorkspace(name);
    for (const t of this.workspaces.get(name)!.tables.values()) this.retiredColdEvictions += t.coldEvictions;
    this.workspaces.delete(name);
  }

  listWorkspaces(): WorkspaceInfo[] {
    return [...this.workspaces.values()].map((w) => ({ name: w.name, live: w.live })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The workspace's info; throws workspace_not_found. */
  workspace(name: string): WorkspaceInfo {
    const w = this.ws(name);
    return { name: w.name, live: w.live };
  }

  private ws(name: string): Workspace {
    const w = this.workspaces.get(name);
    if (w === undefined) throw new TesseraError("workspace_not_found", `workspace ${JSON.stringify(name)} not found`);
    return w;
  }

  // --- registration -----------------------------------------------------------------------------

  /** Validates and plans a registration against the workspace's registry (pure). */
  planRegister(ws: string, envelope: unknown): RegistrationPlan<AggregationSpec> {
    return planRegistration(this.ws(ws).registry, envelope);
  }

  /**
   * Installs an `apply` plan: swaps the registry, discards the state of `droppedTables` (and the
   * dedupe entries of `droppedEvents`), keeps every other table's state, and creates empty state
   * for new tables (entities are created by pushes). The plan must have been made against the
   * workspace's current registry.
   */
  applyRegister(ws: string, plan: Extract<RegistrationPlan<AggregationSpec>, { kind: "apply" }>): RegisterResponse {
    const w = this.ws(ws);
    if (plan.next.version !== w.registry.version + 1) {
      throw new TesseraError("failed_precondition", "registration plan is stale: the registry changed since it was planned");
    }
    this.settleSnapshot();
    const dropped = new Set(plan.droppedTables);
    const tables = new Map<string, TableState>();
    for (const [name, table] of plan.next.tables) {
      const old = dropped.has(name) ? undefined : w.tables.get(name);
      if (old === undefined) {
        tables.set(name, new TableState(table));
      } else {
        old.rebind(table);
        tables.set(name, old);
      }
    }
    for (const [name, t] of w.tables) if (tables.get(name) !== t) this.retiredColdEvictions += t.coldEvictions;
    for (const e of plan.droppedEvents) w.dedupe.dropEvent(e);
    w.registry = plan.next;
    w.tables = tables;
    w.routes = routesOf(plan.next, tables);
    return plan.response;
  }

  registry(ws: string): Registry {
    return this.ws(ws).registry;
  }

  registryVersion(ws: string): number {
    return this.ws(ws).registry.version;
  }

  /**
   * Clears the registry, table state and dedupe cache of `ws` (every workspace when omitted); the
   * registry version goes up by one. Returns the new version of `ws` (of the default workspace when
   * omitted).
   */
  reset(ws?: string): number {
    const targets = ws === undefined ? [...this.workspaces.values()] : [this.ws(ws)];
    this.settleSnapshot();
    for (const w of targets) {
      for (const t of w.tables.values()) this.retiredColdEvictions += t.coldEvictions;
      w.registry = { ...emptyRegistry(), version: w.registry.version + 1 };
      w.tables = new Map();
      w.routes = new Map();
      w.dedupe.clear();
    }
    return this.ws(ws ?? this.defaultWorkspace).registry.version;
  }

  // --- push -------------------------------------------------------------------------------------

  /** Validates a push (beava §4.2 steps 2–7). Pure: nothing changes until applyPush. */
  preparePush(ws: string, event: string, data: unknown, now: number): PreparedPush {
    const w = this.ws(ws);
    const ev = w.registry.events.get(event);
    let row: Row;
    if (ev !== undefined && acceptsPush(ev, data)) {
      row = data;
    } else {
      // Something may be wrong: the steps in their order name the first error.
      row = checkPushShape(event, data);
      if (ev === undefined) throw new TesseraError("event_not_found", `event_not_found: ${JSON.stringify(event)} is not a registered event`);
      checkPushFields(ev, row);
    }
    if (ev.dedupeKey !== undefined) {
      const v = row[ev.dedupeKey];
      if (v !== undefined && v !== null) {
        const ack = w.dedupe.lookup(event, DedupeCache.keyOf(v), now);
        if (ack !== undefined) return { kind: "replay", ackLsn: ack };
      }
    }
    return { kind: "apply", command: { workspace: ws, event, data: row } };
  }

  /**
   * Applies a prepared push at `now` with ack `lsn`: records the dedupe entry and routes the event
   * to every table whose root event it is. A dedupe hit here (two identical pushes prepared before
   * either was applied) changes nothing and reports the first ack. An event that no longer exists
   * (the registry changed after preparePush) is ignored.
   */
  applyPush(command: PushCommand, lsn: number, now: number): PushOutcome {
    const w = this.ws(command.workspace);
    const route = w.routes.get(command.event);
    if (route === undefined) return { replay: false, ackLsn: lsn };
    const ev = route.event;
    const row = command.data;
    if (ev.dedupeKey !== undefined) {
      const v = row[ev.dedupeKey];
      if (v !== undefined && v !== null) {
        const key = DedupeCache.keyOf(v);
        const ack = w.dedupe.lookup(command.event, key, now);
        if (ack !== undefined) return { replay: true, ackLsn: ack };
        w.dedupe.record(command.event, key, lsn, now, ev.dedupeWindowMs);
      }
    }
    const tables = route.tables;
    for (let i = 0; i < tables.length; i++) tables[i]!.apply(row, now);
    return { replay: false, ackLsn: lsn };
  }

  // --- reads ------------------------------------------------------------------------------------

  /**
   * Reads features of one entity at `now`. `features` undefined = every feature, declared order.
   * Returns null for an absent or cold entity (beava's cold start `{}`). Throws, in this order
   * (beava §5.1): workspace_not_found, unknown_table, feature_not_found (for the whole call),
   * key_parse_failure.
   */
  read(ws: string, table: string, key: unknown, features: readonly string[] | undefined, now: number, opts: ReadOptions = {}): ReadResult | null {
    const t = this.tableState(ws, table);
    let infos: readonly FeatureInfo[];
    let idx: readonly number[];
    if (features === undefined) {
      // Shared, precomputed arrays: a full-row read allocates only its values.
      infos = t.featureInfos;
      idx = t.everyFeature;
    } else {
      const picked: number[] = new Array(features.length);
      idx = picked;
      const out: FeatureInfo[] = new Array(features.length);
      let missing: string[] | undefined;
      for (let j = 0; j < features.length; j++) {
        const i = t.indexOf(features[j]!);
        if (i === undefined) (missing ??= []).push(features[j]!);
        else {
          picked[j] = i;
          out[j] = t.info(i);
        }
      }
      if (missing !== undefined) {
        const message = `feature_not_found: missing=${JSON.stringify(missing)} table=${table}`;
        throw new TesseraError("feature_not_found", message, { reason: message });
      }
      infos = out;
    }
    const k = readKey(key, t.arity);
    const r = t.read(k, idx, now, opts.windowEnd);
    return r === null ? null : { features: infos, values: r.values, effectiveTimes: r.effectiveTimes };
  }

  /** The features of a table, declared order; throws workspace_not_found / unknown_table. */
  features(ws: string, table: string): FeatureInfo[] {
    return this.tableState(ws, table).featureInfos.slice();
  }

  /** The latest processing time of an event routed to the table (-Infinity before any). */
  watermark(ws: string, table: string): number {
    return this.tableState(ws, table).watermark;
  }

  private tableState(ws: string, table: string): TableState {
    const t = this.ws(ws).tables.get(table);
    if (t === undefined) throw new TesseraError("unknown_table", `unknown_table: ${JSON.stringify(table)} is not a table`);
    return t;
  }

  // --- maintenance ------------------------------------------------------------------------------

  /** Removes cold entities and expired dedupe entries everywhere; returns how many were removed. */
  sweep(now: number): number {
    let n = 0;
    for (const w of this.workspaces.values()) {
      for (const t of w.tables.values()) n += t.sweep(now);
      n += w.dedupe.sweep(now);
    }
    return n;
  }

  stats(): EngineStats {
    let tables = 0;
    let entities = 0;
    let dedupeEntries = 0;
    let coldEvictions = this.retiredColdEvictions;
    for (const w of this.workspaces.values()) {
      dedupeEntries += w.dedupe.size;
      for (const t of w.tables.values()) {
        tables++;
        entities += t.size;
        coldEvictions += t.coldEvictions;
      }
    }
    return { workspaces: this.workspaces.size, tables, entities, dedupeEntries, coldEvictions };
  }
}

function newWorkspace(name: string, live: boolean): Workspace {
  return { name, live, registry: emptyRegistry(), tables: new Map(), routes: new Map(), dedupe: new DedupeCache() };
}

/** A registered event as applyPush needs it: one lookup per push. */
interface Route {
  readonly event: CompiledEvent;
  readonly tables: readonly TableState[];
}

function routesOf(registry: Registry, tables: ReadonlyMap<string, TableState>): Map<string, Route> {
  const routes = new Map<string, Route>();
  for (const [name, event] of registry.events) {
    routes.set(name, { event, tables: (registry.tablesByEvent.get(name) ?? []).map((t) => tables.get(t.name)!) });
  }
  return routes;
}
