import type { DataType } from "../serving/data-type.ts";

/**
 * Renders a GetFeatures reply as a text table: feature | value | status | effective time. The reply
 * must carry metadata names, data types, statuses and effective times (the demo asks for all four).
 */

export interface FeatureMetadata {
  readonly name: string;
  readonly dataType: DataType;
  readonly status: string;
  /** Absent for realtime features, and for table features with no event to anchor them to. */
  readonly effectiveTime?: string;
}

export interface GetFeaturesReply {
  readonly result: { readonly features: readonly unknown[] };
  readonly metadata: { readonly features: readonly FeatureMetadata[] };
}

const HEADERS = ["feature", "value", "status", "effective time"] as const;
/** Longer values (long arrays, maps) are cut with an ellipsis, keeping the table within ~130 columns. */
const MAX_VALUE_WIDTH = 44;

export function renderFeatureTable(reply: GetFeaturesReply): string {
  const rows = reply.metadata.features.map((m, i) => [
    m.name,
    truncate(renderValue(reply.result.features[i], m.dataType), MAX_VALUE_WIDTH),
    m.status,
    m.effectiveTime ?? "",
  ]);
  const widths = HEADERS.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: readonly string[]): string => `  ${cells.map((cell, c) => cell.padEnd(widths[c])).join("  ")}`.trimEnd();
  return [line(HEADERS), line(widths.map((w) => "\u2500".repeat(w))), ...rows.map(line)].join("\n");
}

/**
 * A value as a reader wants it: int64 (a string on the wire) and strings unquoted, floats to at most
 * two decimals (four significant digits below 1), arrays in brackets, structs (positional arrays on
 * the wire) in parentheses, maps in braces.
 */
function renderValue(value: unknown, type: DataType): string {
  if (value === null || value === undefined) return "null";
  switch (type.type) {
    case "float64":
      return typeof value === "number" ? formatFloat(value) : String(value);
    case "array":
      return `[${(value as unknown[]).map((v) => renderValue(v, type.elementType!)).join(", ")}]`;
    case "struct":
      return `(${(value as unknown[]).map((v, i) => renderValue(v, type.fields![i].dataType)).join(", ")})`;
    case "map":
      return `{${Object.entries(value as Record<string, unknown>)
        .map(([k, v]) => `${k}: ${renderValue(v, type.valueType!)}`)
        .join(", ")}}`;
    default:
      return String(value);
  }
}

function formatFloat(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return String(Number(Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(4)));
}

function truncate(s: string, width: number): string {
  return s.length <= width ? s : `${s.slice(0, width - 1)}\u2026`;
}
