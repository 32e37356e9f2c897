import type { Engine, Registry } from "../engine/index.ts";
import { isTesseraError } from "../errors/tessera-error.ts";
import { compileReadPlan, type ReadPlan } from "./read-plan.ts";
import type { Locator } from "./request-params.ts";
import { featureServiceNotFound } from "./serving-errors.ts";

/**
 * Read plans per registry version. A registration (or reset) installs a new registry object, so the
 * plans are keyed by that object: the first request after a change compiles every online service of
 * the workspace once, and the old plans go with the old registry (a deleted and re-created
 * workspace starts counting versions again, which a version number alone could not tell apart).
 */
export class PlanCache {
  private readonly engine: Engine;
  private readonly byRegistry = new WeakMap<Registry, ReadonlyMap<string, ReadPlan>>();

  constructor(engine: Engine) {
    this.engine = engine;
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
    const registry = this.engine.registry(workspace);
    let plans = this.byRegistry.get(registry);
    if (plans === undefined) {
      plans = compileAll(registry);
      this.byRegistry.set(registry, plans);
    }
    const plan = plans.get(featureService);
    if (plan === undefined) throw featureServiceNotFound(featureService, workspace);
    return plan;
  }
}

function compileAll(registry: Registry): Map<string, ReadPlan> {
  const plans = new Map<string, ReadPlan>();
  for (const fs of registry.featureServices.values()) {
    if (fs.onlineServingEnabled) plans.set(fs.name, compileReadPlan(registry, fs));
  }
  return plans;
}
