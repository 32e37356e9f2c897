/**
 * Every windowed op with the params it reads (fields amt: f64, n: i64, s: str), shared by the
 * property tests and the snapshot workload. A caller adds the window (and any `where`). Parameters
 * make sketches leave their exact modes on small streams where the op allows it.
 */
export const WINDOWED_OPS: readonly { op: string; params?: Record<string, unknown> }[] = [
  { op: "count" },
  { op: "sum", params: { field: "amt" } },
  { op: "sum", params: { field: "n" } },
  { op: "mean", params: { field: "amt" } },
  { op: "min", params: { field: "amt" } },
  { op: "max", params: { field: "n" } },
  { op: "min", params: { field: "s" } },
  { op: "max", params: { field: "s" } },
  { op: "var", params: { field: "amt" } },
  { op: "std", params: { field: "amt" } },
  { op: "var_pop", params: { field: "n" } },
  { op: "std_pop", params: { field: "amt" } },
  { op: "ratio" },
  { op: "n_unique", params: { field: "s" } },
  { op: "n_unique", params: { field: "amt" } },
  // Precision 4: exact up to 2 distinct values, an HLL from the third.
  { op: "approx_count_distinct", params: { field: "n", precision: 4 } },
  { op: "quantile", params: { field: "amt", q: 0.3 } },
  { op: "approx_percentile", params: { field: "n", percentile: 0.9, precision: 20 } },
  { op: "top_k", params: { field: "s", k: 2 } },
  { op: "top_k", params: { field: "n", k: 3 } },
  { op: "entropy", params: { field: "s" } },
  { op: "first_n", params: { field: "amt", n: 3 } },
  { op: "last_n", params: { field: "s", n: 3 } },
  { op: "first_distinct_n", params: { field: "s", n: 2 } },
  { op: "last_distinct_n", params: { field: "n", n: 2 } },
];
