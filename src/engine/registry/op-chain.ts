import { TesseraError, isTesseraError } from "../../errors/tessera-error.ts";
import type { Row, Schema, Value, ValueType } from "../types.ts";
import { CAST_TARGETS, castResultType, compileCast, isCastable } from "../expr/cast.ts";
import type { RegistryDeps } from "./deps.ts";
import type { OpDescriptor } from "./model.ts";
import { fail } from "./names.ts";

/**
 * Prefix op chains (beava §1.3 op table): register-time schema propagation and type checks, and
 * compilation to a row function.
 *
 * Runtime contract: the compiled chain never mutates its input row. The first op that changes the row
 * works on a shallow copy; later ops mutate that copy in place. Filters alone return the input row.
 */

/** A mutable schema under construction. Map insertion order = field order. */
export interface SchemaBuilder {
  fields: Map<string, ValueType>;
  optional: Set<string>;
}

export function cloneSchema(s: Schema): SchemaBuilder {
  return { fields: new Map(s.fields), optional: new Set(s.optional) };
}

export function freezeSchema(s: SchemaBuilder): Schema {
  return { fields: new Map(s.fields), optional: new Set(s.optional) };
}

export interface Step {
  /** True when the step writes to the row (the runner then hands it an owned copy). */
  readonly mutates: boolean;
  /** Returns the (possibly new) row, or null to drop it. */
  readonly run: (row: Row) => Row | null;
}


/** Rethrows a neighbour's TesseraError with a registry path (keeping its code and other details). */
export function withPath<R>(path: string, f: () => R): R {
  try {
    return f();
  } catch (e) {
    if (isTesseraError(e)) {
      if (e.details.path !== undefined) throw e;
      throw new TesseraError(e.code, e.hasMessage ? e.message : undefined, { ...e.details, path, reason: e.details.reason ?? e.message });
    }
    throw e;
  }
}

function resolver(schema: SchemaBuilder): (field: string) => ValueType | undefined {
  return (f) => schema.fields.get(f);
}

/**
 * Propagates `schema` through `ops` (mutating it) and returns the compiled steps. `group_by` must not
 * be among `ops` (the caller strips it). Errors: invalid_expression (beava §1.8: filter / with_columns /
 * cast / select / rename errors), invalid_registration for malformed fillna defaults.
 */
export function compileOps(ops: readonly OpDescriptor[], schema: SchemaBuilder, deps: RegistryDeps, path: (index: number) => string): Step[] {
  const steps: Step[] = [];
  ops.forEach((op, index) => {
    const p = path(index);
    switch (op.op) {
      case "filter": {
        const c = withPath(`${p}.expr`, () => deps.compileChecked(op.expr, resolver(schema), "invalid_expression"));
        if (c.type.kind !== "bool" && c.type.kind !== "null") {
          throw fail("invalid_expression", `${p}.expr`, `filter expression must be boolean, got ${c.type.kind}`);
        }
        const evaluate = c.evaluate;
        steps.push({ mutates: false, run: (row) => (evaluate(row) === true ? row : null) });
        return;
      }
      case "select": {
        for (const f of op.fields) {
          if (!schema.fields.has(f)) throw fail("invalid_expression", `${p}.fields`, `select: unknown field ${JSON.stringify(f)}`);
        }
        const fields = [...new Set(op.fields)];
        const next = new Map<string, ValueType>();
        for (const f of fields) next.set(f, schema.fields.get(f)!);
        schema.fields = next;
        schema.optional = new Set([...schema.optional].filter((f) => next.has(f)));
        steps.push({
          mutates: false, // builds a new row
          run: (row) => {
            const out: Row = {};
            for (const f of fields) if (Object.hasOwn(row, f)) out[f] = row[f]!;
            return out;
          },
        });
        return;
      }
      case "drop": {
        const fields = op.fields.filter((f) => schema.fields.has(f)); // unknown names are a no-op
        for (const f of fields) {
          schema.fields.delete(f);
          schema.optional.delete(f);
        }
        if (fields.length === 0) return;
        steps.push({
          mutates: true,
          run: (row) => {
            for (const f of fields) delete row[f];
            return row;
          },
        });
        return;
      }
      case "rename": {
        const olds = new Set<string>();
        const news = new Set<string>();
        for (const [from, to] of op.mapping) {
          if (!schema.fields.has(from)) throw fail("invalid_expression", `${p}.mapping.${from}`, `rename: unknown field ${JSON.stringify(from)}`);
          if (to === "") throw fail("invalid_expression", `${p}.mapping.${from}`, "rename: the new name must not be empty");
          if (news.has(to)) throw fail("invalid_expression", `${p}.mapping.${from}`, `rename: two fields renamed to ${JSON.stringify(to)}`);
          olds.add(from);
          news.add(to);
        }
        for (const to of news) {
          if (schema.fields.has(to) && !olds.has(to)) {
            throw fail("invalid_expression", `${p}.mapping`, `rename: ${JSON.stringify(to)} collides with an existing field`);
          }
        }
        const pairs = op.mapping.filter(([a, b]) => a !== b);
        const next = new Map<string, ValueType>();
        const optional = new Set<string>();
        const renamed = new Map(pairs);
        for (const [f, t] of schema.fields) {
          const name = renamed.get(f) ?? f;
          next.set(name, t);
          if (schema.optional.has(f)) optional.add(name);
        }
        schema.fields = next;
        schema.optional = optional;
        if (pairs.length === 0) return;
        steps.push({
          mutates: true,
          run: (row) => {
            // Read every old value first so swaps ({a:b, b:a}) work.
            const moved: [string, Value][] = [];
            for (const [from, to] of pairs) {
              if (Object.hasOwn(row, from)) {
                moved.push([to, row[from]!]);
                delete row[from];
              }
            }
            for (const [to, v] of moved) row[to] = v;
            return row;
          },
        });
        return;
      }
      case "with_columns": {
        // Alphabetical order (normalised by the descriptor parser); each column sees the earlier ones.
        const cols: [string, (row: Row) => Value][] = [];
        for (const [col, src] of op.exprs) {
          if (col === "") throw fail("invalid_expression", `${p}.exprs.`, "with_columns: column names must not be empty");
          const c = withPath(`${p}.exprs.${col}`, () => deps.compileChecked(src, resolver(schema), "invalid_expression"));
          schema.fields.set(col, c.type);
          schema.optional.add(col); // an expression may yield null
          cols.push([col, c.evaluate]);
        }
        if (cols.length === 0) return;
        steps.push({
          mutates: true,
          run: (row) => {
            for (const [col, ev] of cols) {
              const v = ev(row);
              row[col] = v === undefined ? null : v;
            }
            return row;
          },
        });
        return;
      }
      case "cast": {
        const casts: [string, (row: Row) => Value][] = [];
        for (const [field, rawTarget] of op.typeMap) {
          // Same target spellings and conversion rules as the expression language's cast().
          const target = CAST_TARGETS.get(rawTarget.toLowerCase());
          if (target === undefined) {
            throw fail("invalid_expression", `${p}.type_map.${field}`, `cast: bad target ${JSON.stringify(rawTarget)}, expected str, int, float or bool`);
          }
          const from = schema.fields.get(field);
          if (from === undefined) throw fail("invalid_expression", `${p}.type_map.${field}`, `cast: unknown field ${JSON.stringify(field)}`);
          if (!isCastable(from)) throw fail("invalid_expression", `${p}.type_map.${field}`, `cast: a ${from.kind} field cannot be cast`);
          schema.fields.set(field, castResultType(target));
          schema.optional.add(field); // a failed cast gives null
          casts.push([field, compileCast(target, (row: Row) => row[field] ?? null)]);
        }
        if (casts.length === 0) return;
        steps.push({
          mutates: true,
          run: (row) => {
            for (const [f, c] of casts) if (Object.hasOwn(row, f)) row[f] = c(row); // absent fields are skipped
            return row;
          },
        });
        return;
      }
      case "fillna": {
        const fills: [string, Value][] = [];
        for (const [field, value] of op.defaults) {
          const t = schema.fields.get(field);
          if (t === undefined) throw fail("invalid_expression", `${p}.defaults.${field}`, `fillna: unknown field ${JSON.stringify(field)}`);
          if (!defaultFits(value, t)) {
            throw fail("invalid_expression", `${p}.defaults.${field}`, `fillna: default ${JSON.stringify(value)} does not fit the ${t.kind} field ${JSON.stringify(field)}`);
          }
          fills.push([field, value]);
        }
        if (fills.length === 0) return;
        steps.push({
          mutates: true,
          run: (row) => {
            // Only present-and-null values are replaced; an absent field stays absent.
            for (const [f, v] of fills) if (Object.hasOwn(row, f) && row[f] === null) row[f] = v;
            return row;
          },
        });
        return;
      }
      case "group_by":
        throw fail("invalid_registration", `${p}.op`, "group_by must be the last op of an output_kind \"table\" derivation");
    }
  });
  return steps;
}

/** Composes steps into one function that never mutates its input. */
export function composeSteps(steps: readonly Step[]): (row: Row) => Row | null {
  if (steps.length === 0) return (row) => row;
  if (steps.length === 1 && !steps[0]!.mutates) return steps[0]!.run;
  const runs = steps.map((s) => s.run);
  const mutates = steps.map((s) => s.mutates);
  const n = runs.length;
  return (input) => {
    let row: Row | null = input;
    let owned = false;
    for (let i = 0; i < n; i++) {
      if (mutates[i] && !owned) {
        row = { ...row };
        owned = true;
      }
      const r: Row | null = runs[i]!(row!);
      if (r === null) return null;
      if (r !== row) owned = r !== input; // select builds a fresh row
      row = r;
    }
    return row;
  };
}

function defaultFits(v: Value, t: ValueType): boolean {
  if (v === null) return true;
  switch (t.kind) {
    case "i64":
    case "timestamp":
      return typeof v === "number" && Number.isSafeInteger(v);
    case "f64":
      return typeof v === "number";
    case "str":
    case "bytes":
      return typeof v === "string";
    case "bool":
      return typeof v === "boolean";
    case "json":
      return true;
    default:
      return false;
  }
}
