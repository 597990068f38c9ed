// What a PerpetualDeployment's spec means, read the same way by its reconciler and by the autoscaler.
import type { PerpetualDeployment } from './perpetual-deployment.ts';

/** models[].name of the models `pd` routes to the ModelServer `msName` (the gateway's `model` label for them). */
export function modelNamesRoutingTo(pd: PerpetualDeployment, msName: string): string[] {
  return pd.spec.models.filter((m) => m.modelServerRef?.name === msName).map((m) => m.name);
}
