import type { CompiledFeatureService, CompiledRealtime, Registry, Value, ValueType, WindowSpec } from "../engine/index.ts";
import { dataTypeOf, type DataType } from "./data-type.ts";
import { contextParser, joinKeyParser, type ContextParser, type JoinKeyParser } from "./input-values.ts";
import { compileEncoder, type ValueEncoder } from "./value-encoder.ts";

/**
 * A feature service compiled for serving (DESIGN §8): which tables to read with which keys and
 * features, which realtime expressions to evaluate over which inputs, and how each output is
 * written, with every static piece of the response (names, data types, descriptions, tags, the
 * whole Metadata reply) rendered to JSON text once. A request only parses its inputs, reads, and
 * concatenates.
 */

export interface JoinKeySlot {
  readonly name: string;
  readonly type: ValueType;
  readonly parse: JoinKeyParser;
}

export interface RequestField {
  readonly name: string;
  readonly parse: ContextParser;
}

/** One engine read per row: every feature the service needs from one table, outputs and realtime inputs alike. */
export interface TableStep {
  readonly table: string;
  /**
   * What the read returns, in order: every feature of the table in declared order when the service
   * needs them all (the engine's full-row read then allocates nothing but the values), else the
   * needed ones, sorted.
   */
  readonly features: readonly string[];
  /** Read every feature (features is the table's declared order). */
  readonly readAll: boolean;
  readonly windows: readonly WindowSpec[];
  /** Per feature: a `count` (null-count coercion applies). */
  readonly isCount: readonly boolean[];
  /** What an absent entity (or a null join key) reads as: all null, or with counts coerced to 0. */
  readonly absent: readonly Value[];
  readonly absentCoerced: readonly Value[];
  /** The table's key columns, in order, as indices into ReadPlan.joinKeys. */
  readonly keySlots: readonly number[];
}

export interface RealtimeStep {
  readonly name: string;
  readonly features: readonly Pick<CompiledRealtime["features"][number], "name" | "evaluate">[];
  /** Table features the expressions read, bound into the row as `"<table>.<feature>"`. */
  readonly inputs: readonly { readonly field: string; readonly step: number; readonly index: number }[];
  /** Table steps the inputs come from (a timed-out one times the view out). */
  readonly steps: readonly number[];
}

export interface OutputSlot {
  readonly source: "table" | "realtime";
  /** Index into ReadPlan.tables or ReadPlan.realtime. */
  readonly step: number;
  /** Index into the step's features. */
  readonly index: number;
  readonly encode: ValueEncoder;
  /** `<prefix>.<feature>`. */
  readonly name: string;
  readonly dataType: DataType;
  /** A realtime view's description and tags (empty for table features). */
  readonly description: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Pre-rendered metadata members, each `"key":value`. */
  readonly nameJson: string;
  readonly dataTypeJson: string;
  /** Absent when empty (protobuf JSON omits empty fields). */
  readonly descriptionJson: string | undefined;
  readonly tagsJson: string | undefined;
}

export interface ReadPlan {
  readonly name: string;
  /** Union of the key columns of every table read (Tecton's inputJoinKeys). */
  readonly joinKeys: readonly JoinKeySlot[];
  readonly joinKeyIndex: ReadonlyMap<string, number>;
  readonly requestFields: readonly RequestField[];
  readonly tables: readonly TableStep[];
  readonly realtime: readonly RealtimeStep[];
  /** Output order (Tecton's: realtime views first, then tables by name, features by name). */
  readonly outputs: readonly OutputSlot[];
  /** The whole Metadata reply. */
  readonly metadataJson: string;
}

export function compileReadPlan(registry: Registry, fs: CompiledFeatureService): ReadPlan {
  const joinKeys: JoinKeySlot[] = fs.joinKeys.map((k) => ({ name: k.name, type: k.type, parse: joinKeyParser(k.name, k.type) }));
  const joinKeyIndex = new Map(joinKeys.map((k, i) => [k.name, i]));

  // Every table feature needed, per table: the service's own selections and the realtime inputs.
  const needed = new Map<string, Set<string>>(fs.tables.map((t) => [t, new Set<string>()]));
  for (const r of fs.tableReads) for (const f of r.features) needed.get(r.table)!.add(f);
  const views = fs.realtime.map((name) => registry.realtime.get(name)!);
  for (const v of views) for (const i of v.tableInputs) needed.get(i.table)!.add(i.feature);

  const stepIndex = new Map<string, number>();
  const tables: TableStep[] = fs.tables.map((table, i) => {
    stepIndex.set(table, i);
    const compiled = registry.tables.get(table)!;
    const wanted = needed.get(table)!;
    const readAll = wanted.size === compiled.aggregations.length;
    const features = readAll ? compiled.aggregations.map((a) => a.feature) : [...wanted].sort();
    const specs = features.map((f) => compiled.aggregations.find((a) => a.feature === f)!);
    return {
      table,
      features,
      readAll,
      windows: specs.map((s) => s.window),
      isCount: specs.map((s) => s.isCount),
      absent: specs.map(() => null),
      absentCoerced: specs.map((s) => (s.isCount ? 0 : null)),
      keySlots: compiled.keyColumns.map((k) => joinKeyIndex.get(k.name)!),
    };
  });
  const featureIndex = (table: string, feature: string): { step: number; index: number } => {
    const step = stepIndex.get(table)!;
    return { step, index: tables[step]!.features.indexOf(feature) };
  };

  const realtime: RealtimeStep[] = views.map((v) => {
    const inputs = v.tableInputs.map((i) => ({ field: `${i.table}.${i.feature}`, ...featureIndex(i.table, i.feature) }));
    return { name: v.name, features: v.features, inputs, steps: [...new Set(inputs.map((i) => i.step))] };
  });

  const outputs: OutputSlot[] = fs.features.map((o) => {
    const view = o.source === "realtime" ? views.find((v) => v.name === o.node)! : undefined;
    const at = view !== undefined ? { step: views.indexOf(view), index: view.features.findIndex((f) => f.name === o.feature) } : featureIndex(o.node, o.feature);
    // Only realtime views carry descriptions and tags (aggregations have neither).
    const description = view?.description ?? "";
    const tags = view?.tags ?? {};
    const dataType = dataTypeOf(o.type);
    return {
      source: o.source,
      ...at,
      encode: compileEncoder(o.type),
      name: o.name,
      dataType,
      description,
      tags,
      nameJson: `"name":${JSON.stringify(o.name)}`,
      dataTypeJson: `"dataType":${JSON.stringify(dataType)}`,
      descriptionJson: description === "" ? undefined : `"description":${JSON.stringify(description)}`,
      tagsJson: Object.keys(tags).length === 0 ? undefined : `"tags":${JSON.stringify(tags)}`,
    };
  });

  return {
    name: fs.name,
    joinKeys,
    joinKeyIndex,
    requestFields: fs.requestContextKeys.map((k) => ({ name: k.name, parse: contextParser(k.name, k.type) })),
    tables,
    realtime,
    outputs,
    metadataJson: metadataJson(fs),
  };
}

/** Tecton's ServiceMetadataResponse (tecton-behaviour.md §4): empty key lists are omitted. */
function metadataJson(fs: CompiledFeatureService): string {
  const nameAndType = (name: string, type: ValueType) => ({ name, dataType: dataTypeOf(type) });
  const reply: Record<string, unknown> = { featureServiceType: "DEFAULT" };
  if (fs.joinKeys.length > 0) reply["inputJoinKeys"] = fs.joinKeys.map((k) => nameAndType(k.name, k.type));
  if (fs.requestContextKeys.length > 0) reply["inputRequestContextKeys"] = fs.requestContextKeys.map((k) => nameAndType(k.name, k.type));
  reply["featureValues"] = fs.features.map((f) => nameAndType(f.name, f.type));
  return JSON.stringify(reply);
}
