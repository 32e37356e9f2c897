/** Plain-text tables for bench output: right-aligned numbers, left-aligned text, no dependencies. */

export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => string | number | null;
  /** Decimal places for numbers; default 0. */
  readonly digits?: number;
}

function cell(v: string | number | null, digits: number): string {
  if (v === null || (typeof v === "number" && Number.isNaN(v))) return "-";
  return typeof v === "number" ? v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : v;
}

/** Renders rows as an aligned table with a header rule; returns the text without a trailing newline. */
export function formatTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const body = rows.map((r) => columns.map((c) => c.value(r)));
  const text = body.map((r) => r.map((v, i) => cell(v, columns[i]?.digits ?? 0)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...text.map((r) => (r[i] as string).length)));
  // A column is right-aligned when any of its values is a number.
  const numeric = columns.map((_, i) => body.some((r) => typeof r[i] === "number"));
  const line = (cells: readonly string[]): string =>
    cells.map((s, i) => (numeric[i] ? s.padStart(widths[i] as number) : s.padEnd(widths[i] as number))).join("  ").trimEnd();
  return [line(columns.map((c) => c.header)), widths.map((w) => "-".repeat(w)).join("  "), ...text.map(line)].join("\n");
}
