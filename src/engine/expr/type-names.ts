import type { ValueType } from "../types.ts";

/** How types are spelled in expression error messages. */
export function typeName(t: ValueType): string {
  switch (t.kind) {
    case "array":
      return `array<${typeName(t.element)}>`;
    case "map":
      return `map<${typeName(t.value)}>`;
    case "struct":
      return `struct<${t.fields.map((f) => `${f.name}: ${typeName(f.type)}`).join(", ")}>`;
    default:
      return t.kind;
  }
}
