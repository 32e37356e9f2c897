import type { Engine, Registry } from "../engine/index.ts";
import { isTesseraError, TesseraError } from "../errors/tessera-error.ts";
import { compileReadPlan, type ReadPlan } from "./read-plan.ts";
import type { Locator } from "./request-params.ts";
import { featureServiceNotFound } from "./serving-errors.ts";

/**
 * Read plans per registry version, keyed by the registry object: a registration (or reset) installs
 * a new registry object, and the old plans go with the old registry (a deleted and re-created
 * workspace starts counting versions again, which a version number alone could not tell apart).
 *
 * A registration compiles the plans of its registry before it is logged (`prepare`, DESIGN §8
 * "compiled at register time"), so a feature service that cannot be served fails the registration
 * and the first request after it finds its plans ready. Registries installed any other way (reset,
 * recovery, a new workspace) are compiled by their first request.
 */
export class PlanCache {
  private readonly engine: Engine;
  private readonly byRegistry = new WeakMap<Registry, ReadonlyMap<string, ReadPlan>>();

  constructor(engine: Engine) {
    this.engine = engine;
  }

  /** Compiles the plans of every online service of a registry about to be installed; throws invalid_registration. */
  prepare(registry: Registry): ReadonlyMap<string, ReadPlan> {
    let plans = this.byRegistry.get(registry);
    if (plans === undefined) {
      plans = compileAll(registry);
      this.byRegistry.set(registry, plans);
    }
    return plans;
  }

  /**
   * The plan of a service that can be queried: in a live workspace, with online serving on. Anything
   * else is Tecton's 404, which names the workspace-must-be-live rule.
   */
  plan(locator: Locator): ReadPlan {
    const { workspace, featureService } = locator;
    let live: boolean;
    try {
      live = this.engine.workspace(workspace).live;
    } catch (e) {
      if (isTesseraError(e) && e.code === "workspace_not_found") throw featureServiceNotFound(featureService, workspace);
      throw e;
    }
    if (!live) throw featureServiceNotFound(featureService, workspace);
    const plan = this.prepare(this.engine.registry(workspace)).get(featureService);
    if (plan === undefined) throw featureServiceNotFound(featureService, workspace);
    return plan;
  }
}

/** Plans every online service; one that cannot be planned is the registration's error, naming the service. */
function compileAll(registry: Registry): Map<string, ReadPlan> {
  const plans = new Map<string, ReadPlan>();
  for (const fs of registry.featureServices.values()) {
    if (!fs.onlineServingEnabled) continue;
    try {
      plans.set(fs.name, compileReadPlan(registry, fs));
    } catch (e) {
      const reason = `feature service ${JSON.stringify(fs.name)} cannot be served: ${e instanceof Error ? e.message : String(e)}`;
      throw new TesseraError("invalid_registration", reason, { path: nodePath(registry, fs.name), reason });
    }
  }
  return plans;
}

/** `nodes[i]`, as the registry's own errors locate a node in the register payload. */
function nodePath(registry: Registry, name: string): string {
  const i = registry.nodes.findIndex((n) => (n as { kind?: unknown; name?: unknown }).kind === "feature_service" && (n as { name?: unknown }).name === name);
  return `nodes[${i}]`;
}
