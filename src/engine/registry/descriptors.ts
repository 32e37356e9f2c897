import { WIRE_TYPES, type Value, type WireType } from "../types.ts";
import type {
  AggDescriptor,
  DerivationDescriptor,
  EventDescriptor,
  FeatureServiceDescriptor,
  FeatureServiceEntry,
  NodeDescriptor,
  OpDescriptor,
  ParsedEnvelope,
  RealtimeDescriptor,
} from "./model.ts";
import { cmp, invalid, isPlainObject } from "./names.ts";

/**
 * Strict shape checks ("deserialisation", beava §1.5 step 2): turns the raw envelope into typed,
 * normalised descriptors or throws TesseraError("invalid_registration", {path, reason}).
 * Semantic rules (names, references, schemas, expressions, aggregations) are checked later (compile.ts).
 *
 * Unknown keys on event and derivation nodes are ignored (beava's serde structs ignore them); feature
 * service entries are strict (a typo such as `feature:` would otherwise silently select everything).
 */

export const DEFAULT_DEDUPE_WINDOW_MS = 86_400_000;

const WIRE = new Set<string>(WIRE_TYPES);
const OPS = new Set(["filter", "select", "drop", "rename", "with_columns", "map", "cast", "fillna", "group_by"]);

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `${typeof v} ${JSON.stringify(v)}`;
}

function str(v: unknown, path: string, what = "a string"): string {
  if (typeof v !== "string") throw invalid(path, `expected ${what}, got ${describe(v)}`);
  return v;
}

function optStr(v: unknown, path: string): string | undefined {
  return v === undefined || v === null ? undefined : str(v, path);
}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (!isPlainObject(v)) throw invalid(path, `expected an object, got ${describe(v)}`);
  return v;
}

function strArray(v: unknown, path: string): string[] {
  if (!Array.isArray(v)) throw invalid(path, `expected an array of strings, got ${describe(v)}`);
  return v.map((x, i) => str(x, `${path}[${i}]`));
}

/** u64-like: a non-negative safe integer; null/absent -> undefined. */
function optU64(v: unknown, path: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw invalid(path, `expected a non-negative integer, got ${describe(v)}`);
  }
  return v;
}

function wireFields(v: unknown, path: string): [string, WireType][] {
  const o = obj(v, path);
  return Object.entries(o).map(([name, t]) => {
    if (name === "") throw invalid(`${path}.`, "field names must not be empty");
    if (typeof t !== "string" || !WIRE.has(t)) {
      throw invalid(`${path}.${name}`, `unknown variant ${describe(t)}, expected one of ${WIRE_TYPES.join(", ")}`);
    }
    return [name, t as WireType];
  });
}

function stringMap(v: unknown, path: string): [string, string][] {
  const o = obj(v, path);
  return Object.entries(o).map(([k, x]) => [k, str(x, `${path}.${k}`)]);
}

function tags(v: unknown, path: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  return Object.fromEntries(stringMap(v, path)); // define-semantics: a "__proto__" key stays a plain key
}

export function parseEnvelope(envelope: unknown): ParsedEnvelope {
  if (!isPlainObject(envelope)) throw invalid("<body>", `expected a JSON object, got ${describe(envelope)}`);
  if (!Object.hasOwn(envelope, "nodes")) throw invalid("<body>", "missing field `nodes`");
  const rawNodes = envelope.nodes;
  if (!Array.isArray(rawNodes)) throw invalid("nodes", `expected an array of nodes, got ${describe(rawNodes)}`);
  const nodes = rawNodes.map((n, i) => parseNode(n, `nodes[${i}]`));
  return { nodes, rawNodes, force: envelope.force === true, dryRun: envelope.dry_run === true };
}

function parseNode(raw: unknown, path: string): NodeDescriptor {
  const node = obj(raw, path);
  if (node.kind === undefined || node.kind === null) throw invalid(`${path}.kind`, "missing field `kind`");
  const kind = str(node.kind, `${path}.kind`);
  if (node.name === undefined || node.name === null) throw invalid(`${path}.name`, "missing field `name`");
  const name = str(node.name, `${path}.name`);
  switch (kind) {
    case "event":
      return parseEvent(node, name, path);
    case "derivation":
      return parseDerivation(node, name, path);
    case "realtime":
      return parseRealtime(node, name, path);
    case "feature_service":
      return parseFeatureService(node, name, path);
    default:
      // Non-empty unknown kinds were reported by the JSON-level checks; this is the empty string.
      throw invalid(`${path}.kind`, `unknown variant ${JSON.stringify(kind)}, expected event, derivation, realtime or feature_service`);
  }
}

function parseEvent(node: Record<string, unknown>, name: string, path: string): EventDescriptor {
  if (node.schema === undefined || node.schema === null) throw invalid(`${path}.schema`, "missing field `schema`");
  const schema = obj(node.schema, `${path}.schema`);
  if (schema.fields === undefined || schema.fields === null) throw invalid(`${path}.schema.fields`, "missing field `fields`");
  const fields = wireFields(schema.fields, `${path}.schema.fields`);
  const optional =
    schema.optional_fields === undefined || schema.optional_fields === null
      ? []
      : strArray(schema.optional_fields, `${path}.schema.optional_fields`);
  return {
    kind: "event",
    name,
    fields,
    optionalFields: [...new Set(optional)].sort(cmp),
    dedupeKey: optStr(node.dedupe_key, `${path}.dedupe_key`),
    dedupeWindowMs: optU64(node.dedupe_window_ms, `${path}.dedupe_window_ms`) ?? DEFAULT_DEDUPE_WINDOW_MS,
    coldAfterMs: optU64(node.cold_after_ms, `${path}.cold_after_ms`),
    keepEventsForMs: optU64(node.keep_events_for_ms, `${path}.keep_events_for_ms`),
  };
}

function parseDerivation(node: Record<string, unknown>, name: string, path: string): DerivationDescriptor {
  const outputKind = node.output_kind;
  if (outputKind === undefined || outputKind === null) throw invalid(`${path}.output_kind`, "missing field `output_kind`");
  if (outputKind !== "event" && outputKind !== "table") {
    throw invalid(`${path}.output_kind`, `unknown variant ${describe(outputKind)}, expected "event" or "table"`);
  }
  if (node.upstreams === undefined || node.upstreams === null) throw invalid(`${path}.upstreams`, "missing field `upstreams`");
  const upstreams = strArray(node.upstreams, `${path}.upstreams`);
  let ops: OpDescriptor[] = [];
  if (node.ops !== undefined && node.ops !== null) {
    if (!Array.isArray(node.ops)) throw invalid(`${path}.ops`, `expected an array of ops, got ${describe(node.ops)}`);
    ops = node.ops.map((op, j) => parseOp(op, `${path}.ops[${j}]`));
  }
  let declaresSchema = false;
  if (node.schema !== undefined && node.schema !== null) {
    const schema = obj(node.schema, `${path}.schema`);
    if (schema.fields !== undefined && schema.fields !== null) {
      declaresSchema = wireFields(schema.fields, `${path}.schema.fields`).length > 0;
    }
    if (schema.optional_fields !== undefined && schema.optional_fields !== null) {
      strArray(schema.optional_fields, `${path}.schema.optional_fields`);
    }
  }
  const tablePrimaryKey =
    node.table_primary_key === undefined || node.table_primary_key === null
      ? undefined
      : strArray(node.table_primary_key, `${path}.table_primary_key`);
  return { kind: "derivation", name, outputKind, upstreams, ops, declaresSchema, tablePrimaryKey };
}

function parseOp(raw: unknown, path: string): OpDescriptor {
  const op = obj(raw, path);
  if (op.op === undefined || op.op === null) throw invalid(`${path}.op`, "missing field `op`");
  const tag = str(op.op, `${path}.op`);
  if (!OPS.has(tag)) {
    throw invalid(`${path}.op`, `unknown variant ${JSON.stringify(tag)}, expected one of ${[...OPS].join(", ")}`);
  }
  const need = (key: string): unknown => {
    if (op[key] === undefined || op[key] === null) throw invalid(`${path}.${key}`, `missing field \`${key}\``);
    return op[key];
  };
  switch (tag) {
    case "filter":
      return { op: "filter", expr: str(need("expr"), `${path}.expr`) };
    case "select":
    case "drop":
      return { op: tag, fields: strArray(need("fields"), `${path}.fields`) };
    case "rename":
      return { op: "rename", mapping: stringMap(need("mapping"), `${path}.mapping`) };
    case "with_columns":
    case "map": {
      const exprs = stringMap(need("exprs"), `${path}.exprs`).sort((a, b) => cmp(a[0], b[0]));
      return { op: "with_columns", exprs };
    }
    case "cast":
      return { op: "cast", typeMap: stringMap(need("type_map"), `${path}.type_map`) };
    case "fillna": {
      const defaults = Object.entries(obj(need("defaults"), `${path}.defaults`)).map(([k, v]): [string, Value] => {
        if (v !== null && typeof v === "object") throw invalid(`${path}.defaults.${k}`, `expected a JSON scalar, got ${describe(v)}`);
        return [k, v as Value];
      });
      return { op: "fillna", defaults };
    }
    case "group_by": {
      const keys = strArray(need("keys"), `${path}.keys`);
      const agg = Object.entries(obj(need("agg"), `${path}.agg`)).map(([feature, spec]): [string, AggDescriptor] => {
        const p = `${path}.agg.${feature}`;
        const s = obj(spec, p);
        if (s.op === undefined || s.op === null) throw invalid(`${p}.op`, "missing field `op`");
        const aggOp = str(s.op, `${p}.op`);
        const params = s.params === undefined || s.params === null ? {} : obj(s.params, `${p}.params`);
        return [feature, { op: aggOp, params }];
      });
      return { op: "group_by", keys, agg };
    }
  }
  /* c8 ignore next */
  throw invalid(`${path}.op`, `unknown variant ${JSON.stringify(tag)}`);
}

function parseRealtime(node: Record<string, unknown>, name: string, path: string): RealtimeDescriptor {
  let requestFields: [string, WireType][] = [];
  if (node.request_schema !== undefined && node.request_schema !== null) {
    const rs = obj(node.request_schema, `${path}.request_schema`);
    if (rs.fields !== undefined && rs.fields !== null) requestFields = wireFields(rs.fields, `${path}.request_schema.fields`);
  }
  const tables = node.tables === undefined || node.tables === null ? [] : strArray(node.tables, `${path}.tables`);
  if (node.features === undefined || node.features === null) throw invalid(`${path}.features`, "missing field `features`");
  const features = stringMap(node.features, `${path}.features`);
  return {
    kind: "realtime",
    name,
    requestFields,
    tables,
    features,
    description: optStr(node.description, `${path}.description`),
    tags: tags(node.tags, `${path}.tags`),
  };
}

function parseFeatureService(node: Record<string, unknown>, name: string, path: string): FeatureServiceDescriptor {
  if (node.features === undefined || node.features === null) throw invalid(`${path}.features`, "missing field `features`");
  if (!Array.isArray(node.features)) throw invalid(`${path}.features`, `expected an array, got ${describe(node.features)}`);
  const features = node.features.map((e, j) => parseServiceEntry(e, `${path}.features[${j}]`));
  const ose = node.online_serving_enabled;
  if (ose !== undefined && ose !== null && typeof ose !== "boolean") {
    throw invalid(`${path}.online_serving_enabled`, `expected a boolean, got ${describe(ose)}`);
  }
  return {
    kind: "feature_service",
    name,
    description: optStr(node.description, `${path}.description`),
    tags: tags(node.tags, `${path}.tags`),
    features,
    onlineServingEnabled: ose !== false,
  };
}

function parseServiceEntry(raw: unknown, path: string): FeatureServiceEntry {
  const e = obj(raw, path);
  const hasTable = e.table !== undefined;
  const hasRt = e.realtime !== undefined;
  if (hasTable === hasRt) throw invalid(path, "a feature service entry needs exactly one of `table` or `realtime`");
  const allowed = hasTable ? ["table", "features", "alias"] : ["realtime"];
  for (const k of Object.keys(e)) {
    if (!allowed.includes(k)) throw invalid(`${path}.${k}`, `unknown field \`${k}\`, expected one of ${allowed.join(", ")}`);
  }
  if (hasRt) return { realtime: str(e.realtime, `${path}.realtime`) };
  return {
    table: str(e.table, `${path}.table`),
    features: e.features === undefined || e.features === null ? undefined : strArray(e.features, `${path}.features`),
    alias: optStr(e.alias, `${path}.alias`),
  };
}
