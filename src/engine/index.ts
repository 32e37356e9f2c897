/** The engine's public surface (DESIGN §1: the service layer talks to the engine only through this). */
export { Engine } from "./engine.ts";
export type {
  EngineOptions,
  EngineStats,
  PreparedPush,
  PushCommand,
  PushOutcome,
  ReadOptions,
  ReadResult,
  WorkspaceInfo,
} from "./engine.ts";
export type { EngineSnapshot } from "./snapshot/engine-snapshot.ts";
export type { FeatureInfo } from "./state/feature-runtime.ts";
export type { AggregationSpec } from "./aggregate/catalogue.ts";
export type { WindowSpec } from "./aggregate/window.ts";
export { isKnownOperator, operatorNames } from "./aggregate/catalogue.ts";
export { canonicalKeyValue, decodeSegment, encodeSegment } from "./state/keys.ts";
export type {
  CompiledFeatureService,
  CompiledRealtime,
  CompiledTable,
  DryRunResponse,
  RegisterResponse,
  Registry,
  RegistrationPlan,
  RegistryDiff,
} from "./registry/index.ts";
export type { Row, Schema, Value, ValueType, WireType } from "./types.ts";
