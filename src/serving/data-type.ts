import type { ValueType } from "../engine/index.ts";

/**
 * Tecton's FeatureServerComplexDataType (tecton-behaviour.md §2.4): `{"type": name}` plus
 * `elementType` for arrays, `fields` for structs and `keyType` / `valueType` for maps. Type names are
 * Tecton's (`boolean`, not `bool`).
 */
export interface DataType {
  readonly type: string;
  readonly elementType?: DataType;
  readonly fields?: readonly { readonly name: string; readonly dataType: DataType }[];
  readonly keyType?: DataType;
  readonly valueType?: DataType;
}

const STRING: DataType = { type: "string" };

/**
 * The serving type of an engine type. Tecton has no type for opaque values, so `json` and `bytes`
 * are served as strings (json as its JSON text); the type of a bare `null` expression is `string`
 * too, since its value is always null.
 */
export function dataTypeOf(t: ValueType): DataType {
  switch (t.kind) {
    case "i64":
      return { type: "int64" };
    case "f64":
      return { type: "float64" };
    case "bool":
      return { type: "boolean" };
    case "timestamp":
      return { type: "timestamp" };
    case "str":
    case "json":
    case "bytes":
    case "null":
      return STRING;
    case "array":
      return { type: "array", elementType: dataTypeOf(t.element) };
    case "map":
      return { type: "map", keyType: STRING, valueType: dataTypeOf(t.value) };
    case "struct":
      return { type: "struct", fields: t.fields.map((f) => ({ name: f.name, dataType: dataTypeOf(f.type) })) };
  }
}
