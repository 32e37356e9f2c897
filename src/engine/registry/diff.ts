import type {
  AdditiveEntry,
  AggDescriptor,
  DerivationDescriptor,
  DestructiveEntry,
  EventDescriptor,
  NodeDescriptor,
  OpDescriptor,
  RegistryDiff,
} from "./model.ts";
import { canonical, cmp } from "./names.ts";

/**
 * Registry diff (beava §1.7 shapes, DESIGN §4 semantics): every structural change is detected by full
 * structural comparison of the normalised descriptors.
 *
 * Additive (installs without force, other state kept):
 *   new_descriptor {descriptor_kind, name} · new_agg {table, agg, source} · new_field {event, field, type}
 * Destructive (409 force_required without force):
 *   rename {from, to}                       a removed node paired with an added node of the same kind
 *                                           whose definition is identical apart from the name
 *   agg_removal {table, agg:""}             a node missing from the payload (any kind; beava's shape)
 *   type_change {field:"E.f", from, to}     an event field changed type, or was removed (to "<absent>")
 *   event_change {event, field}             dedupe_key / dedupe_window_ms / cold_after_ms /
 *                                           keep_events_for_ms / optional_fields changed (field = that key)
 *   op_change {table, index}                a prefix op changed, or was added, at that index
 *   op_removal {table, agg:"<op>[i]"}       the prefix op chain got shorter (one entry per removed op)
 *   key_cols_change {table, from, to}       group_by keys changed; or table_primary_key changed
 *   agg_removal {table, agg}                a feature was removed
 *   window_change {agg:"T.f", from, to}     only the `window` param changed ("" = no window)
 *   agg_change {table, agg, from, to}       op or any other param (where, field, q, k, n, interval, ...) changed
 *   node_change {node, descriptor_kind}     a node changed kind, a derivation changed output_kind or
 *                                           upstreams, or a realtime view / feature service changed at all
 * Not changes: event field order, agg declaration order, a derivation's declared `schema` (it is always
 * replaced by the propagated schema), `map` vs `with_columns` spelling.
 * Entries are sorted by kind, then by their canonical JSON; already_present is sorted.
 */

export type Impact =
  /** Removed, renamed away, or replaced by a node of another kind: all state goes. */
  | "removed"
  /** Destructive change that invalidates the node's data (tables: any destructive entry; events: type_change). */
  | "data"
  /** Destructive change that leaves state valid (event_change, realtime / feature service changes). */
  | "meta";

export interface DiffResult {
  readonly diff: RegistryDiff;
  /** Payload names that are new (including rename targets) or changed. */
  readonly changed: ReadonlySet<string>;
  /** Old node name -> impact of its destructive changes (absent = no destructive change). */
  readonly impact: ReadonlyMap<string, Impact>;
  /** Events whose dedupe settings changed (their dedupe cache must go). */
  readonly dedupeChanged: ReadonlySet<string>;
  /** Table -> features added (new_agg). */
  readonly newAggs: ReadonlyMap<string, readonly string[]>;
}

function bodyKey(n: NodeDescriptor): string {
  return canonical({ ...n, name: "" });
}

/** Sorted by kind, then canonical JSON; identical entries collapse into one. */
function sortEntries<E extends { kind: string }>(entries: E[]): E[] {
  const byKey = new Map<string, E>();
  for (const e of entries) byKey.set(`${e.kind}\u0000${canonical(e)}`, e);
  return [...byKey].sort((a, b) => cmp(a[0], b[0])).map(([, e]) => e);
}

export function diffRegistry(old: ReadonlyMap<string, NodeDescriptor>, next: readonly NodeDescriptor[]): DiffResult {
  const additive: AdditiveEntry[] = [];
  const destructive: DestructiveEntry[] = [];
  const alreadyPresent: string[] = [];
  const changed = new Set<string>();
  const impact = new Map<string, Impact>();
  const dedupeChanged = new Set<string>();
  const newAggs = new Map<string, string[]>();
  const nextNames = new Set(next.map((n) => n.name));

  const mark = (name: string, i: Impact): void => {
    const prev = impact.get(name);
    const rank = { meta: 0, data: 1, removed: 2 } as const;
    if (prev === undefined || rank[i] > rank[prev]) impact.set(name, i);
  };

  const added: NodeDescriptor[] = [];
  for (const n of next) {
    const o = old.get(n.name);
    if (o === undefined) {
      added.push(n);
      continue;
    }
    const before = additive.length + destructive.length;
    if (o.kind !== n.kind) {
      destructive.push({ kind: "node_change", node: n.name, descriptor_kind: n.kind });
      mark(n.name, "removed");
    } else if (o.kind === "event" && n.kind === "event") {
      diffEvent(o, n, additive, destructive, mark, dedupeChanged);
    } else if (o.kind === "derivation" && n.kind === "derivation") {
      diffDerivation(o, n, additive, destructive, mark, newAggs);
    } else if (canonical(o) !== canonical(n)) {
      destructive.push({ kind: "node_change", node: n.name, descriptor_kind: n.kind });
      mark(n.name, "meta");
    }
    if (additive.length + destructive.length > before) changed.add(n.name);
    else alreadyPresent.push(n.name);
  }

  // Removed nodes: pair with an added node of the same kind and identical body (a pure rename).
  const removed = [...old.values()].filter((o) => !nextNames.has(o.name)).sort((a, b) => cmp(a.name, b.name));
  const unpaired = [...added].sort((a, b) => cmp(a.name, b.name));
  for (const o of removed) {
    const key = bodyKey(o);
    const j = unpaired.findIndex((a) => a.kind === o.kind && bodyKey(a) === key);
    if (j >= 0) {
      const to = unpaired[j]!;
      unpaired.splice(j, 1);
      destructive.push({ kind: "rename", from: o.name, to: to.name });
    } else {
      destructive.push({ kind: "agg_removal", table: o.name, agg: "" });
    }
    mark(o.name, "removed");
  }
  for (const a of unpaired) additive.push({ kind: "new_descriptor", descriptor_kind: a.kind, name: a.name });
  for (const a of added) changed.add(a.name);

  return {
    diff: { additive: sortEntries(additive), destructive: sortEntries(destructive), already_present: alreadyPresent.sort(cmp) },
    changed,
    impact,
    dedupeChanged,
    newAggs,
  };
}

function diffEvent(
  o: EventDescriptor,
  n: EventDescriptor,
  additive: AdditiveEntry[],
  destructive: DestructiveEntry[],
  mark: (name: string, i: Impact) => void,
  dedupeChanged: Set<string>,
): void {
  const oldFields = new Map(o.fields);
  const newFields = new Map(n.fields);
  for (const [f, t] of oldFields) {
    const nt = newFields.get(f);
    if (nt !== t) {
      destructive.push({ kind: "type_change", field: `${n.name}.${f}`, from: t, to: nt ?? "<absent>" });
      mark(n.name, "data");
    }
  }
  for (const [f, t] of newFields) {
    if (!oldFields.has(f)) additive.push({ kind: "new_field", event: n.name, field: f, type: t });
  }
  const oldOpt = new Set(o.optionalFields);
  const newOpt = new Set(n.optionalFields);
  const optChanged = [...oldFields.keys()].some((f) => newFields.has(f) && oldOpt.has(f) !== newOpt.has(f));
  const props: [string, unknown, unknown][] = [
    ["dedupe_key", o.dedupeKey, n.dedupeKey],
    ["dedupe_window_ms", o.dedupeWindowMs, n.dedupeWindowMs],
    ["cold_after_ms", o.coldAfterMs, n.coldAfterMs],
    ["keep_events_for_ms", o.keepEventsForMs, n.keepEventsForMs],
  ];
  for (const [field, a, b] of props) {
    if (a !== b) {
      destructive.push({ kind: "event_change", event: n.name, field });
      mark(n.name, "meta");
      if (field.startsWith("dedupe_")) dedupeChanged.add(n.name);
    }
  }
  if (optChanged) {
    destructive.push({ kind: "event_change", event: n.name, field: "optional_fields" });
    mark(n.name, "meta");
  }
}

function windowOf(a: AggDescriptor): string {
  const w = a.params.window;
  if (w === undefined || w === null) return "";
  return typeof w === "string" ? w : canonical(w);
}

function diffDerivation(
  o: DerivationDescriptor,
  n: DerivationDescriptor,
  additive: AdditiveEntry[],
  destructive: DestructiveEntry[],
  mark: (name: string, i: Impact) => void,
  newAggs: Map<string, string[]>,
): void {
  const name = n.name;
  const before = destructive.length;
  if (o.outputKind !== n.outputKind || canonical(o.upstreams) !== canonical(n.upstreams)) {
    destructive.push({ kind: "node_change", node: name, descriptor_kind: "derivation" });
    mark(name, "data");
    return;
  }
  const split = (d: DerivationDescriptor): { prefix: readonly OpDescriptor[]; gb: Extract<OpDescriptor, { op: "group_by" }> | undefined } => {
    const last = d.ops[d.ops.length - 1];
    return last?.op === "group_by" ? { prefix: d.ops.slice(0, -1), gb: last } : { prefix: d.ops, gb: undefined };
  };
  const a = split(o);
  const b = split(n);
  const common = Math.min(a.prefix.length, b.prefix.length);
  for (let i = 0; i < common; i++) {
    if (canonical(a.prefix[i]) !== canonical(b.prefix[i])) destructive.push({ kind: "op_change", table: name, index: i });
  }
  for (let i = common; i < a.prefix.length; i++) destructive.push({ kind: "op_removal", table: name, agg: `${a.prefix[i]!.op}[${i}]` });
  for (let i = common; i < b.prefix.length; i++) destructive.push({ kind: "op_change", table: name, index: i });

  const oldKeys = a.gb?.keys ?? [];
  const newKeys = b.gb?.keys ?? [];
  if (canonical(oldKeys) !== canonical(newKeys) || (a.gb === undefined) !== (b.gb === undefined)) {
    destructive.push({ kind: "key_cols_change", table: name, from: oldKeys, to: newKeys });
  }
  if (canonical(o.tablePrimaryKey ?? null) !== canonical(n.tablePrimaryKey ?? null)) {
    destructive.push({ kind: "key_cols_change", table: name, from: o.tablePrimaryKey ?? [], to: n.tablePrimaryKey ?? [] });
  }
  const oldAgg = new Map(a.gb?.agg ?? []);
  const newAgg = new Map(b.gb?.agg ?? []);
  for (const [f, oa] of oldAgg) {
    const na = newAgg.get(f);
    if (na === undefined) {
      destructive.push({ kind: "agg_removal", table: name, agg: f });
    } else if (canonical(oa) !== canonical(na)) {
      const sameButWindow = oa.op === na.op && canonical({ ...oa.params, window: null }) === canonical({ ...na.params, window: null });
      if (sameButWindow) destructive.push({ kind: "window_change", agg: `${name}.${f}`, from: windowOf(oa), to: windowOf(na) });
      else destructive.push({ kind: "agg_change", table: name, agg: f, from: oa.op, to: na.op });
    }
  }
  const fresh: string[] = [];
  for (const [f, na] of newAgg) {
    if (!oldAgg.has(f)) {
      additive.push({ kind: "new_agg", table: name, agg: f, source: na.op });
      fresh.push(f);
    }
  }
  if (fresh.length > 0) newAggs.set(name, fresh);
  if (destructive.length > before) mark(name, "data");
}
