import { hasControlChar } from "../control-chars.ts";
import { wireTypeToValueType, typeEquals, type Schema, type ValueType } from "../types.ts";
import type { AggregationSpecLike, RegistryDeps } from "./deps.ts";
import type {
  CompiledEvent,
  CompiledEventDerivation,
  CompiledFeatureService,
  CompiledRealtime,
  CompiledRealtimeFeature,
  CompiledRegistry,
  CompiledTable,
  DerivationDescriptor,
  EventDescriptor,
  FeatureServiceDescriptor,
  FeatureServiceOutput,
  FeatureServiceTableRead,
  KeyColumn,
  NodeDescriptor,
  ParsedEnvelope,
  RealtimeDescriptor,
} from "./model.ts";
import { SERVICE_NAME_RE, checkName, cmp, fail, invalid } from "./names.ts";
import { cloneSchema, compileOps, composeSteps, freezeSchema, withPath, type Step } from "./op-chain.ts";

/**
 * Semantic validation and compilation of a parsed payload (beava §1.4/§1.5 rules 1–11 plus the
 * Tessera node kinds). The payload is the whole registry of the workspace (full-state registration).
 *
 * Order: names of every node (payload order: empty, length, reserved prefix, pattern, duplicate);
 * then events and derivations in payload order (a derivation may only read nodes earlier in the
 * payload); then realtime views, then feature services (these two may reference nodes anywhere in
 * the payload). The first error throws.
 *
 * Decisions (where beava / the brief is silent or beava is odd):
 * - group_by keys are resolved against the TRANSFORMED row (after the prefix ops), so a key made by
 *   with_columns / rename works (beava's [QUIRK] reads the raw row). Keys must exist in the post-op
 *   schema and be str, i64, bool or datetime; f64 (and json, bytes, containers) -> aggregation_unknown_field.
 * - A table whose upstreams[0] is an output_kind:"event" derivation gets that derivation's chain
 *   (recursively, up to the root event) composed in front of its own ops: the SDK's chain-flatten
 *   done server-side. A table upstream, or empty upstreams -> aggregation_on_table_not_supported.
 * - Only one upstream is supported (unions were removed); more -> invalid_registration.
 * - group_by must be the last op of an output_kind:"table" derivation and appears nowhere else
 *   (beava lets an event derivation carry a group_by and still builds a table; we reject it).
 * - A filter expression must be boolean (beava does not check; a non-bool filter drops every row).
 * - optional_fields must name declared fields; cold_after_ms must be > 0 when given.
 * - Feature names (agg keys, realtime outputs) and aliases follow the node-name rule (no dots: the
 *   serving name `<view>.<feature>` has exactly one dot).
 */
export function compileParsed<A extends AggregationSpecLike>(
  parsed: Pick<ParsedEnvelope, "nodes" | "rawNodes">,
  version: number,
  deps: RegistryDeps<A>,
): CompiledRegistry<A> {
  const c = new Compiler<A>(parsed.nodes, deps);
  c.run();
  return {
    version,
    events: c.events,
    eventDerivations: c.eventDerivations,
    tables: c.tables,
    tablesByEvent: c.tablesByEvent,
    realtime: c.realtime,
    featureServices: c.featureServices,
    descriptors: new Map(parsed.nodes.map((n) => [n.name, n])),
    nodes: parsed.rawNodes,
  };
}

const KEY_KINDS: ReadonlySet<string> = new Set(["str", "i64", "bool", "timestamp"]);

interface EventDerivationInternal {
  readonly compiled: CompiledEventDerivation;
  readonly steps: readonly Step[];
}

class Compiler<A extends AggregationSpecLike> {
  readonly events = new Map<string, CompiledEvent>();
  readonly eventDerivations = new Map<string, CompiledEventDerivation>();
  readonly tables = new Map<string, CompiledTable<A>>();
  readonly tablesByEvent = new Map<string, CompiledTable<A>[]>();
  readonly realtime = new Map<string, CompiledRealtime>();
  readonly featureServices = new Map<string, CompiledFeatureService>();

  private readonly index = new Map<string, number>();
  private readonly derivationSteps = new Map<string, EventDerivationInternal>();
  /** feature name -> table that defines it (global uniqueness). */
  private readonly featureOwner = new Map<string, string>();

  constructor(
    private readonly nodes: readonly NodeDescriptor[],
    private readonly deps: RegistryDeps<A>,
  ) {}

  run(): void {
    this.nodes.forEach((n, i) => {
      const path = `nodes[${i}].name`;
      const what = n.kind === "feature_service" ? "feature service" : n.kind;
      checkName(n.name, path, what, n.kind === "feature_service" ? SERVICE_NAME_RE : undefined);
      if (this.index.has(n.name)) {
        throw invalid(path, `duplicate name ${JSON.stringify(n.name)} in payload (first at nodes[${this.index.get(n.name)}])`);
      }
      this.index.set(n.name, i);
    });
    this.nodes.forEach((n, i) => {
      if (n.kind === "event") this.compileEvent(n, `nodes[${i}]`);
      else if (n.kind === "derivation") this.compileDerivation(n, i);
    });
    this.nodes.forEach((n, i) => {
      if (n.kind === "realtime") this.compileRealtime(n, `nodes[${i}]`);
    });
    this.nodes.forEach((n, i) => {
      if (n.kind === "feature_service") this.compileFeatureService(n, `nodes[${i}]`);
    });
  }

  // --- events ------------------------------------------------------------------------------------

  private compileEvent(d: EventDescriptor, path: string): void {
    if (d.fields.length === 0) throw invalid(`${path}.schema.fields`, `event ${JSON.stringify(d.name)} has an empty schema`);
    const fields = d.fields.map(([name, wireType]) => ({ name, wireType, type: wireTypeToValueType(wireType) }));
    const wireTypes = new Map(d.fields);
    for (const f of d.optionalFields) {
      if (!wireTypes.has(f)) throw invalid(`${path}.schema.optional_fields`, `optional field ${JSON.stringify(f)} is not in schema.fields`);
    }
    if (d.dedupeKey !== undefined && !wireTypes.has(d.dedupeKey)) {
      throw invalid(`${path}.dedupe_key`, `dedupe_key ${JSON.stringify(d.dedupeKey)} is not in schema.fields`);
    }
    if (d.dedupeWindowMs <= 0) throw invalid(`${path}.dedupe_window_ms`, "dedupe_window_ms must be > 0");
    if (d.coldAfterMs !== undefined && d.coldAfterMs <= 0) throw invalid(`${path}.cold_after_ms`, "cold_after_ms must be > 0");
    const schema: Schema = {
      fields: new Map(fields.map((f) => [f.name, f.type])),
      optional: new Set(d.optionalFields),
    };
    this.events.set(d.name, {
      name: d.name,
      fields,
      wireTypes,
      pushChecks: new Map(d.fields.filter(([name]) => !hasControlChar(name)).map(([name, t]) => [name, schema.optional.has(name) ? null : t])),
      requiredCount: fields.length - schema.optional.size,
      schema,
      dedupeKey: d.dedupeKey,
      dedupeWindowMs: d.dedupeWindowMs,
      coldAfterMs: d.coldAfterMs,
      keepEventsForMs: d.keepEventsForMs,
    });
  }

  // --- derivations -------------------------------------------------------------------------------

  /** True when following upstreams[0] links from `from` reaches `target`. */
  private reaches(from: string, target: string): boolean {
    const seen = new Set<string>();
    let cur: string | undefined = from;
    while (cur !== undefined && !seen.has(cur)) {
      if (cur === target) return true;
      seen.add(cur);
      const i = this.index.get(cur);
      const n = i === undefined ? undefined : this.nodes[i];
      cur = n?.kind === "derivation" ? n.upstreams[0] : undefined;
    }
    return false;
  }

  private compileDerivation(d: DerivationDescriptor, i: number): void {
    const path = `nodes[${i}]`;
    const isTable = d.outputKind === "table";
    if (d.upstreams.length === 0) {
      if (isTable) throw fail("aggregation_on_table_not_supported", `${path}.upstreams`, `table ${JSON.stringify(d.name)} has no upstream event`);
      throw invalid(`${path}.upstreams`, `derivation ${JSON.stringify(d.name)} has no upstream`);
    }
    d.upstreams.forEach((u, j) => {
      const ui = this.index.get(u);
      const p = `${path}.upstreams[${j}]`;
      if (ui === undefined) throw invalid(p, `unknown upstream ${JSON.stringify(u)}`);
      if (ui === i || (ui > i && this.reaches(u, d.name))) throw invalid(p, `cycle: ${JSON.stringify(d.name)} depends on itself through ${JSON.stringify(u)}`);
      if (ui > i) throw invalid(p, `topological order violation: upstream ${JSON.stringify(u)} must appear before ${JSON.stringify(d.name)} in nodes`);
    });
    if (d.upstreams.length > 1) {
      throw invalid(`${path}.upstreams`, "only one upstream is supported (unions were removed in v0)");
    }
    const up = d.upstreams[0]!;
    const upNode = this.nodes[this.index.get(up)!]!;
    let rootEvent: string;
    let baseSchema: Schema;
    let baseSteps: readonly Step[];
    if (upNode.kind === "event") {
      const ev = this.events.get(up)!;
      rootEvent = up;
      baseSchema = ev.schema;
      baseSteps = [];
    } else if (upNode.kind === "derivation" && upNode.outputKind === "event") {
      const ed = this.derivationSteps.get(up)!;
      rootEvent = ed.compiled.rootEvent;
      baseSchema = ed.compiled.schema;
      baseSteps = ed.steps;
    } else if (upNode.kind === "derivation") {
      if (isTable) {
        throw fail("aggregation_on_table_not_supported", `${path}.upstreams[0]`, `upstream ${JSON.stringify(up)} is a table; aggregations need an event or an event derivation`);
      }
      throw invalid(`${path}.upstreams[0]`, `upstream ${JSON.stringify(up)} is a table; an event derivation needs an event or an event derivation`);
    } else {
      throw invalid(`${path}.upstreams[0]`, `upstream ${JSON.stringify(up)} is a ${upNode.kind} node, not an event or an event derivation`);
    }

    if (isTable && d.tablePrimaryKey === undefined) {
      throw invalid(`${path}.table_primary_key`, `table ${JSON.stringify(d.name)} needs table_primary_key`);
    }
    if (d.ops.length === 0 && !d.declaresSchema) {
      throw invalid(`${path}.ops`, `derivation ${JSON.stringify(d.name)} has no ops and no schema`);
    }
    const last = d.ops[d.ops.length - 1];
    if (isTable && last?.op !== "group_by") {
      throw invalid(`${path}.ops`, `table ${JSON.stringify(d.name)} needs a group_by as its last op`);
    }
    const prefixOps = isTable ? d.ops.slice(0, -1) : d.ops;
    const schema = cloneSchema(baseSchema);
    const ownSteps = compileOps(prefixOps, schema, this.deps, (j) => `${path}.ops[${j}]`);
    const steps = [...baseSteps, ...ownSteps];
    const frozen = freezeSchema(schema);

    if (!isTable) {
      const compiled: CompiledEventDerivation = { name: d.name, rootEvent, schema: frozen, transform: composeSteps(steps) };
      this.eventDerivations.set(d.name, compiled);
      this.derivationSteps.set(d.name, { compiled, steps });
      return;
    }

    const gi = d.ops.length - 1;
    const gb = last as Extract<typeof last, { op: "group_by" }>;
    const gpath = `${path}.ops[${gi}]`;
    const keyColumns: KeyColumn[] = [];
    const keySet = new Set<string>();
    gb.keys.forEach((k, j) => {
      const p = `${gpath}.keys[${j}]`;
      if (keySet.has(k)) throw invalid(p, `duplicate group_by key ${JSON.stringify(k)}`);
      const t = frozen.fields.get(k);
      if (t === undefined) throw fail("aggregation_unknown_field", p, `group_by key ${JSON.stringify(k)} is not a field of the upstream schema`);
      if (t.kind === "f64") throw fail("aggregation_unknown_field", p, `group_by key ${JSON.stringify(k)} is f64; keys must be str, i64, bool or datetime`);
      if (!KEY_KINDS.has(t.kind)) throw fail("aggregation_unknown_field", p, `group_by key ${JSON.stringify(k)} has type ${t.kind}; keys must be str, i64, bool or datetime`);
      keySet.add(k);
      keyColumns.push({ name: k, type: t });
    });

    const aggregations: A[] = [];
    const featureTypes = new Map<string, ValueType>();
    for (const [feature, agg] of gb.agg) {
      const p = `${gpath}.agg.${feature}`;
      checkName(feature, p, "feature");
      if (keySet.has(feature)) {
        throw fail("aggregation_group_key_collides_with_feature", p, `feature ${JSON.stringify(feature)} has the same name as a group_by key`);
      }
      const owner = this.featureOwner.get(feature);
      if (owner !== undefined) {
        throw fail(
          "aggregation_feature_name_collision_across_aggregations",
          p,
          owner === d.name ? `feature ${JSON.stringify(feature)} is defined twice in ${JSON.stringify(d.name)}` : `feature ${JSON.stringify(feature)} is already defined by table ${JSON.stringify(owner)}`,
        );
      }
      const spec = withPath(p, () => this.deps.compileAggregation({ feature, op: agg.op, params: { ...agg.params } }, frozen));
      this.featureOwner.set(feature, d.name);
      aggregations.push(spec);
      featureTypes.set(feature, spec.outputType);
    }

    const table: CompiledTable<A> = {
      name: d.name,
      rootEvent,
      upstream: up,
      prefix: composeSteps(steps),
      hasPrefix: steps.length > 0,
      schema: frozen,
      keyColumns,
      aggregations,
      featureTypes,
      tablePrimaryKey: d.tablePrimaryKey ?? [],
      coldAfterMs: this.events.get(rootEvent)!.coldAfterMs,
    };
    this.tables.set(d.name, table);
    const routed = this.tablesByEvent.get(rootEvent);
    if (routed === undefined) this.tablesByEvent.set(rootEvent, [table]);
    else routed.push(table);
  }

  // --- realtime views ----------------------------------------------------------------------------

  private tableRef(name: string, path: string, from: string): CompiledTable<A> {
    const t = this.tables.get(name);
    if (t !== undefined) return t;
    const i = this.index.get(name);
    if (i === undefined) throw invalid(path, `${from} references unknown table ${JSON.stringify(name)}`);
    throw invalid(path, `${from} references ${JSON.stringify(name)}, which is not a table (it is a ${describeNode(this.nodes[i]!)})`);
  }

  private compileRealtime(d: RealtimeDescriptor, path: string): void {
    const requestFields = d.requestFields.map(([name, wireType]) => {
      checkName(name, `${path}.request_schema.fields.${name}`, "request field");
      return { name, wireType, type: wireTypeToValueType(wireType) };
    });
    const request = new Map(requestFields.map((f) => [f.name, f.type]));
    const tables = new Map<string, CompiledTable<A>>();
    d.tables.forEach((t, j) => {
      const p = `${path}.tables[${j}]`;
      if (tables.has(t)) throw invalid(p, `table ${JSON.stringify(t)} is listed twice`);
      tables.set(t, this.tableRef(t, p, `realtime view ${JSON.stringify(d.name)}`));
    });
    if (d.features.length === 0) throw invalid(`${path}.features`, `realtime view ${JSON.stringify(d.name)} has no features`);
    const resolve = (field: string): ValueType | undefined => {
      const dot = field.indexOf(".");
      if (dot < 0) return request.get(field);
      const t = tables.get(field.slice(0, dot));
      return t?.featureTypes.get(field.slice(dot + 1));
    };
    const tableInputs: { table: string; feature: string }[] = [];
    const seenInputs = new Set<string>();
    const features: CompiledRealtimeFeature[] = d.features.map(([name, expr]) => {
      const p = `${path}.features.${name}`;
      checkName(name, p, "feature");
      const c = withPath(p, () => this.deps.compileChecked(expr, resolve, "invalid_expression"));
      for (const f of c.fields) {
        const dot = f.indexOf(".");
        if (dot >= 0 && !seenInputs.has(f)) {
          seenInputs.add(f);
          tableInputs.push({ table: f.slice(0, dot), feature: f.slice(dot + 1) });
        }
      }
      return { name, expr, type: c.type, evaluate: c.evaluate, inputs: [...c.fields] };
    });
    const joinKeys = unionKeys(
      [...tables.values()].map((t) => ({ keys: t.keyColumns, from: `table ${JSON.stringify(t.name)}` })),
      `${path}.tables`,
      "join key",
    );
    this.realtime.set(d.name, {
      name: d.name,
      requestFields,
      tables: [...tables.keys()],
      features,
      tableInputs,
      joinKeys,
      description: d.description,
      tags: d.tags,
    });
  }

  // --- feature services --------------------------------------------------------------------------

  private compileFeatureService(d: FeatureServiceDescriptor, path: string): void {
    if (d.features.length === 0) throw invalid(`${path}.features`, `feature service ${JSON.stringify(d.name)} selects no features`);
    const from = `feature service ${JSON.stringify(d.name)}`;
    const prefixes = new Map<string, number>();
    const rts: CompiledRealtime[] = [];
    const reads: FeatureServiceTableRead[] = [];
    d.features.forEach((e, j) => {
      const p = `${path}.features[${j}]`;
      let prefix: string;
      if ("realtime" in e) {
        const rt = this.realtime.get(e.realtime);
        if (rt === undefined) {
          const i = this.index.get(e.realtime);
          throw invalid(`${p}.realtime`, i === undefined ? `${from} references unknown realtime view ${JSON.stringify(e.realtime)}` : `${from} references ${JSON.stringify(e.realtime)}, which is not a realtime view (it is a ${describeNode(this.nodes[i]!)})`);
        }
        prefix = rt.name;
        rts.push(rt);
      } else {
        const t = this.tableRef(e.table, `${p}.table`, from);
        if (e.alias !== undefined) checkName(e.alias, `${p}.alias`, "alias");
        prefix = e.alias ?? e.table;
        let features: string[];
        if (e.features === undefined) {
          features = [...t.featureTypes.keys()];
        } else {
          if (e.features.length === 0) throw invalid(`${p}.features`, "an explicit feature list must not be empty");
          const seen = new Set<string>();
          e.features.forEach((f, k) => {
            if (!t.featureTypes.has(f)) throw invalid(`${p}.features[${k}]`, `table ${JSON.stringify(e.table)} has no feature ${JSON.stringify(f)}`);
            if (seen.has(f)) throw invalid(`${p}.features[${k}]`, `feature ${JSON.stringify(f)} is listed twice`);
            seen.add(f);
          });
          features = [...e.features];
        }
        reads.push({ table: t.name, prefix, features: features.sort(cmp), keyColumns: t.keyColumns });
      }
      const prev = prefixes.get(prefix);
      if (prev !== undefined) {
        throw invalid(p, `${from}: the name ${JSON.stringify(prefix)} is used by features[${prev}] too; give one of them an alias`);
      }
      prefixes.set(prefix, j);
    });
    rts.sort((a, b) => cmp(a.name, b.name));
    reads.sort((a, b) => cmp(a.prefix, b.prefix));
    const features: FeatureServiceOutput[] = [];
    for (const rt of rts) {
      for (const f of rt.features) {
        features.push({ name: `${rt.name}.${f.name}`, source: "realtime", node: rt.name, prefix: rt.name, feature: f.name, type: f.type });
      }
    }
    for (const r of reads) {
      const t = this.tables.get(r.table)!;
      for (const f of r.features) {
        features.push({ name: `${r.prefix}.${f}`, source: "table", node: r.table, prefix: r.prefix, feature: f, type: t.featureTypes.get(f)! });
      }
    }
    const joinKeys = unionKeys(
      [
        ...rts.flatMap((rt) => rt.tables.map((t) => ({ keys: this.tables.get(t)!.keyColumns, from: `table ${JSON.stringify(t)} (via realtime view ${JSON.stringify(rt.name)})` }))),
        ...reads.map((r) => ({ keys: r.keyColumns, from: `table ${JSON.stringify(r.table)}` })),
      ],
      `${path}.features`,
      "join key",
    );
    const requestContextKeys = unionKeys(
      rts.map((rt) => ({ keys: rt.requestFields.map((f) => ({ name: f.name, type: f.type })), from: `realtime view ${JSON.stringify(rt.name)}` })),
      `${path}.features`,
      "request context key",
    );
    const tables = new Set<string>([...reads.map((r) => r.table), ...rts.flatMap((rt) => rt.tables)]);
    this.featureServices.set(d.name, {
      name: d.name,
      description: d.description,
      tags: d.tags,
      onlineServingEnabled: d.onlineServingEnabled,
      features,
      realtime: rts.map((rt) => rt.name),
      tableReads: reads,
      tables: [...tables].sort(cmp),
      joinKeys,
      requestContextKeys,
    });
  }
}

function describeNode(n: NodeDescriptor): string {
  if (n.kind === "derivation") return n.outputKind === "table" ? "table" : "event derivation";
  return n.kind === "feature_service" ? "feature service" : n.kind === "realtime" ? "realtime view" : "event";
}

/** Union of key lists by name, first appearance order; the same name with two types is an error. */
function unionKeys(lists: readonly { keys: readonly KeyColumn[]; from: string }[], path: string, what: string): KeyColumn[] {
  const out = new Map<string, { col: KeyColumn; from: string }>();
  for (const { keys, from } of lists) {
    for (const k of keys) {
      const prev = out.get(k.name);
      if (prev === undefined) out.set(k.name, { col: k, from });
      else if (!typeEquals(prev.col.type, k.type)) {
        throw invalid(path, `${what} ${JSON.stringify(k.name)} is ${prev.col.type.kind} in ${prev.from} but ${k.type.kind} in ${from}`);
      }
    }
  }
  return [...out.values()].map((v) => v.col);
}
