import { TesseraError } from "../../errors/tessera-error.ts";
import { compileParsed } from "./compile.ts";
import type { AggregationSpecLike, RegistryDeps } from "./deps.ts";
import { parseEnvelope } from "./descriptors.ts";
import { diffRegistry, type DiffResult } from "./diff.ts";
import { FALLBACK_KNOWN_OPS, runJsonLevelChecks } from "./json-checks.ts";
import type { CompiledRegistry, NodeDescriptor, RegisterResponse, RegistrationPlan } from "./model.ts";
import { cmp } from "./names.ts";

export const FORCE_REQUIRED_MESSAGE = "Destructive registry change requires force=true. See diff for details.";

export function emptyRegistry<A extends AggregationSpecLike = AggregationSpecLike>(): CompiledRegistry<A> {
  return {
    version: 0,
    events: new Map(),
    eventDerivations: new Map(),
    tables: new Map(),
    tablesByEvent: new Map(),
    realtime: new Map(),
    featureServices: new Map(),
    descriptors: new Map(),
    nodes: [],
  };
}

export interface Planner<A extends AggregationSpecLike> {
  /**
   * Plans one registration against `current` (pure: no I/O, `current` is not modified).
   *
   * Order of checks (DESIGN §4: full validation, also on dry_run):
   *  1. JSON-level checks, beava §1.5 step 1 (join/union, event-time keys, node kind, memory governance);
   *  2. strict shape checks -> invalid_registration with `path`;
   *  3. semantic validation (all of beava §1.4 / §1.5 rules, Tessera node kinds) -> 400 codes;
   *  4. diff against `current`;
   *  5. dry_run -> `{diff, would_apply:false}`;
   *  6. destructive entries without force -> 409 force_required `{diff}`;
   *  7. no change at all -> noop (version unchanged; also with force);
   *  8. apply: version + 1.
   * Unlike beava (409 before validation), a payload that is both destructive and invalid gets the
   * validation error: it could never be applied, and retrying with force would only hit the 400.
   */
  planRegistration(current: CompiledRegistry<A>, envelope: unknown): RegistrationPlan<A>;
  /**
   * Recompiles accepted raw nodes (recovery from a snapshot / the log) at a given version.
   * Runs every check; throws TesseraError when the nodes are not a valid registry.
   */
  compileRegistry(nodes: readonly unknown[], version: number): CompiledRegistry<A>;
}

const KIND_ORDER = (n: NodeDescriptor): string => (n.kind === "derivation" ? "derivation" : n.kind);

export function createPlanner<A extends AggregationSpecLike>(deps: RegistryDeps<A>): Planner<A> {
  const isKnown = deps.isKnownOperator ?? ((op: string) => FALLBACK_KNOWN_OPS.has(op));

  function compileRegistry(nodes: readonly unknown[], version: number): CompiledRegistry<A> {
    const envelope = { nodes: [...nodes] };
    runJsonLevelChecks(envelope, isKnown);
    const parsed = parseEnvelope(envelope);
    return compileParsed(parsed, version, deps);
  }

  function planRegistration(current: CompiledRegistry<A>, envelope: unknown): RegistrationPlan<A> {
    runJsonLevelChecks(envelope, isKnown);
    const parsed = parseEnvelope(envelope);
    const next = compileParsed(parsed, current.version + 1, deps);
    const d = diffRegistry(current.descriptors, parsed.nodes);
    const diff = d.diff;
    if (parsed.dryRun) return { kind: "dry_run", diff, response: { diff, would_apply: false } };
    if (diff.destructive.length > 0 && !parsed.force) {
      throw new TesseraError("force_required", FORCE_REQUIRED_MESSAGE, { reason: FORCE_REQUIRED_MESSAGE, diff });
    }
    const names = parsed.nodes.map((n) => n.name);
    if (diff.additive.length === 0 && diff.destructive.length === 0) {
      const response: RegisterResponse = {
        status: "ok",
        registry_version: current.version,
        registered_descriptors: names,
        added: [],
        already_present: diff.already_present,
      };
      return { kind: "noop", diff, response };
    }
    const added = parsed.nodes
      .filter((n) => d.changed.has(n.name))
      .sort((a, b) => cmp(KIND_ORDER(a), KIND_ORDER(b)) || cmp(a.name, b.name))
      .map((n) => n.name);
    const { droppedTables, droppedEvents } = droppedState(current, d);
    const dropped = new Set(droppedTables);
    const addedFeatures = [...d.newAggs]
      .filter(([t]) => !dropped.has(t))
      .sort((a, b) => cmp(a[0], b[0]))
      .map(([table, features]) => ({ table, features }));
    const response: RegisterResponse = {
      status: "ok",
      registry_version: next.version,
      registered_descriptors: names,
      added,
      already_present: diff.already_present,
    };
    return { kind: "apply", diff, next, droppedTables, droppedEvents, addedFeatures, response };
  }

  return { planRegistration, compileRegistry };
}

/**
 * State to discard under an applied plan (DESIGN: force drops only the affected state).
 * - A table is dropped when it was removed / renamed / replaced, changed destructively, or when
 *   anything upstream of it (event derivations of its chain, its root event) changed in a way that
 *   invalidates data (event field type change or removal, derivation op / upstream change, removal).
 *   A table that only gained features keeps its state (see `addedFeatures`); a table whose whole
 *   chain is unchanged keeps its state even under force.
 * - An event's state (dedupe cache) is dropped when it was removed / renamed / replaced or its
 *   dedupe_key / dedupe_window_ms changed.
 */
function droppedState(current: CompiledRegistry, d: DiffResult): { droppedTables: string[]; droppedEvents: string[] } {
  const hit = (name: string): boolean => {
    const i = d.impact.get(name);
    return i === "removed" || i === "data";
  };
  const droppedTables: string[] = [];
  for (const name of current.tables.keys()) {
    let cur: string | undefined = name;
    const seen = new Set<string>();
    let dropped = false;
    while (cur !== undefined && !seen.has(cur)) {
      seen.add(cur);
      if (hit(cur)) {
        dropped = true;
        break;
      }
      const desc = current.descriptors.get(cur);
      cur = desc?.kind === "derivation" ? desc.upstreams[0] : undefined;
    }
    if (dropped) droppedTables.push(name);
  }
  const droppedEvents = [...current.events.keys()].filter((e) => d.impact.get(e) === "removed" || d.dedupeChanged.has(e));
  return { droppedTables: droppedTables.sort(cmp), droppedEvents: droppedEvents.sort(cmp) };
}
