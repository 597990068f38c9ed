// Structural defaulting as the API server does it, over our rendered schemas: a missing field
// with a default gets it, recursively. Used to build fully-defaulted objects in tests, and
// checked against the real API server's defaulting in test/api/crds.test.ts.
import type { ModelServer } from './model-server.ts';
import type { PerpetualDeployment } from './perpetual-deployment.ts';
import { renderedSpecSchema } from './crds.ts';
import { API_VERSION } from './group.ts';

type JsonSchema = Record<string, unknown>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function applyDefaults(schema: JsonSchema, value: unknown): unknown {
  const current = value === undefined ? structuredClone(schema.default) : value;
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (isPlainObject(current) && properties) {
    const out: Record<string, unknown> = { ...current };
    for (const [key, child] of Object.entries(properties)) {
      const defaulted = applyDefaults(child, current[key]);
      if (defaulted !== undefined) out[key] = defaulted;
    }
    return out;
  }
  const items = schema.items as JsonSchema | undefined;
  if (Array.isArray(current) && items) return current.map((item) => applyDefaults(items, item));
  return current;
}

type Meta = { name: string; namespace?: string; uid?: string; generation?: number };

function defaulted(kind: 'PerpetualDeployment' | 'ModelServer', meta: Meta, spec: Record<string, unknown>) {
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: { namespace: 'default', uid: `uid-${meta.name}`, generation: 1, ...meta },
    spec: applyDefaults(renderedSpecSchema(kind), spec),
  };
}

/** A PerpetualDeployment as the API server would return it for `spec`. */
export function defaultedPerpetualDeployment(meta: Meta, spec: Record<string, unknown>): PerpetualDeployment {
  return defaulted('PerpetualDeployment', meta, spec) as PerpetualDeployment;
}

/** A ModelServer as the API server would return it for `spec`. */
export function defaultedModelServer(meta: Meta, spec: Record<string, unknown>): ModelServer {
  return defaulted('ModelServer', meta, spec) as ModelServer;
}
