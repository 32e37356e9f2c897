/**
 * The registry of one workspace: register-payload parsing, validation, compilation, diff and planning.
 * Pure (no I/O): the engine core applies the returned plan.
 */
import { compileAggregation, isKnownOperator, type AggregationSpec } from "../aggregate/catalogue.ts";
import { compileChecked } from "../expr/index.ts";
import type { RegistryDeps } from "./deps.ts";
import type { CompiledRegistry, RegistrationPlan } from "./model.ts";
import { createPlanner, emptyRegistry as emptyGeneric } from "./plan.ts";

export const registryDeps: RegistryDeps<AggregationSpec> = {
  compileChecked: (src, resolve, errorCode) => compileChecked(src, resolve, errorCode),
  compileAggregation: (input, schema) => compileAggregation(input, schema),
  isKnownOperator,
};

const planner = createPlanner<AggregationSpec>(registryDeps);

export type Registry = CompiledRegistry<AggregationSpec>;

export function emptyRegistry(): Registry {
  return emptyGeneric<AggregationSpec>();
}

/** Plans one registration (see Planner.planRegistration for the order of checks). */
export function planRegistration(current: Registry, envelope: unknown): RegistrationPlan<AggregationSpec> {
  return planner.planRegistration(current, envelope);
}

/** Recompiles accepted raw nodes at a version (recovery). Throws TesseraError when invalid. */
export function compileRegistry(nodes: readonly unknown[], version: number): Registry {
  return planner.compileRegistry(nodes, version);
}

export { createPlanner, FORCE_REQUIRED_MESSAGE, type Planner } from "./plan.ts";
export { parseDuration, isValidDuration } from "./parse-duration.ts";
export { DEFAULT_DEDUPE_WINDOW_MS } from "./descriptors.ts";
export type { RegistryDeps, AggregationSpecLike, CheckedExpression } from "./deps.ts";
export type * from "./model.ts";
