// Renders the CustomResourceDefinitions from the schemas. hack/gen-crds.ts writes them to crds/;
// a test fails when crds/ drifts from this output.
import type { KubernetesObject, V1CustomResourceColumnDefinition } from '@kubernetes/client-node';
import type { TSchema } from 'typebox';
import { CATEGORY, GROUP, VERSION } from './group.ts';
import { ModelServerRootRules, ModelServerSpec, ModelServerStatus } from './model-server.ts';
import { PerpetualDeploymentRootRules, PerpetualDeploymentSpec, PerpetualDeploymentStatus } from './perpetual-deployment.ts';
import type { CelRule } from './schema-helpers.ts';

interface KindDefinition {
  kind: string;
  plural: string;
  shortName: string;
  description: string;
  spec: TSchema;
  status: TSchema;
  rootRules: CelRule[];
  columns: V1CustomResourceColumnDefinition[];
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string };
}

const readyColumn: V1CustomResourceColumnDefinition = {
  name: 'Ready',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
};
const phaseColumn: V1CustomResourceColumnDefinition = { name: 'Phase', type: 'string', jsonPath: '.status.phase' };
const ageColumn: V1CustomResourceColumnDefinition = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
const reasonColumn: V1CustomResourceColumnDefinition = {
  name: 'Reason',
  type: 'string',
  jsonPath: '.status.phaseReason',
  priority: 1,
};

export const kinds: KindDefinition[] = [
  {
    kind: 'PerpetualDeployment',
    plural: 'perpetualdeployments',
    shortName: 'pd',
    description:
      'PerpetualDeployment is one Perpetual stack: an OpenAI-compatible gateway with per-user long-term memory, its Qdrant, Redis and database migrations, and the models it serves.',
    spec: PerpetualDeploymentSpec,
    status: PerpetualDeploymentStatus,
    rootRules: PerpetualDeploymentRootRules,
    columns: [
      readyColumn,
      phaseColumn,
      { name: 'Mode', type: 'string', jsonPath: '.spec.mode' },
      { name: 'Gateway', type: 'string', jsonPath: '.status.gatewaySummary' },
      { name: 'Models', type: 'string', jsonPath: '.status.modelsSummary' },
      { name: 'URL', type: 'string', jsonPath: '.status.url' },
      ageColumn,
      reasonColumn,
    ],
  },
  {
    kind: 'ModelServer',
    plural: 'modelservers',
    shortName: 'ms',
    description: 'ModelServer is one model served by vLLM on GPUs, with autoscaling down to zero.',
    spec: ModelServerSpec,
    status: ModelServerStatus,
    rootRules: ModelServerRootRules,
    columns: [
      readyColumn,
      phaseColumn,
      { name: 'Model', type: 'string', jsonPath: '.spec.model.id' },
      { name: 'GPUs', type: 'integer', jsonPath: '.spec.gpu.count' },
      { name: 'Replicas', type: 'string', jsonPath: '.status.replicasSummary' },
      { name: 'Min-Max', type: 'string', jsonPath: '.status.scaleRange' },
      ageColumn,
      reasonColumn,
      { name: 'Last-Scale', type: 'date', jsonPath: '.status.lastScale.time', priority: 1 },
    ],
    scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
  },
];

type JsonSchema = Record<string, unknown>;

/**
 * A field with a default is optional on input: the API server fills it in before validation and on
 * every read. So it leaves `required` here, while the TypeScript types keep describing objects as
 * read back, with defaults applied. (The server also validates a parent's `default: {}` without
 * applying nested defaults, so a defaulted field left in `required` would reject the CRD.)
 */
function optionalWhenDefaulted(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...schema };
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (properties) {
    out.properties = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, optionalWhenDefaulted(v)]));
    const required = (schema.required as string[] | undefined)?.filter((k) => properties[k]?.default === undefined);
    if (required && required.length > 0) out.required = required;
    else delete out.required;
  }
  for (const key of ['items', 'additionalProperties'] as const) {
    const child = schema[key];
    if (typeof child === 'object' && child !== null) out[key] = optionalWhenDefaulted(child as JsonSchema);
  }
  return out;
}

/** The value an object field takes when absent: its own default, completed with its fields' defaults. */
function effectiveDefault(schema: JsonSchema): unknown {
  const own = schema.default;
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (!properties || typeof own !== 'object' || own === null || Array.isArray(own)) return own;
  const completed: Record<string, unknown> = { ...(own as Record<string, unknown>) };
  for (const [key, child] of Object.entries(properties)) {
    const value = effectiveDefault(child);
    if (completed[key] === undefined && value !== undefined) completed[key] = value;
  }
  return completed;
}

/**
 * Writes `default: {}` on an object out in full. The API server validates a default (including its
 * CEL rules) without applying the nested defaults first, so `{}` alone would fail rules such as
 * `self.requestsPerMinute <= self.requestsPerDay`. The TypeScript source keeps the short form.
 */
function completeDefaults(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...schema };
  if (schema.default !== undefined) out.default = effectiveDefault(schema);
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (properties) out.properties = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, completeDefaults(v)]));
  for (const key of ['items', 'additionalProperties'] as const) {
    const child = schema[key];
    if (typeof child === 'object' && child !== null) out[key] = completeDefaults(child as JsonSchema);
  }
  return out;
}

/** The plain JSON Schema the API server reads: TypeBox's in-memory markers dropped, defaults written out and optional. */
function plainSchema(schema: TSchema): JsonSchema {
  return completeDefaults(optionalWhenDefaulted(JSON.parse(JSON.stringify(schema)) as JsonSchema));
}

/**
 * A CRD manifest. Not client-node's V1CustomResourceDefinition: that type renames the
 * `x-kubernetes-*` schema keywords to camelCase, and the manifest must carry the wire names.
 */
export interface CustomResourceDefinitionManifest extends KubernetesObject {
  spec: Record<string, unknown>;
}

function customResourceDefinition(def: KindDefinition): CustomResourceDefinitionManifest {
  const singular = def.kind.toLowerCase();
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${def.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/name': 'perpetual', 'app.kubernetes.io/part-of': 'perpetual' },
    },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular,
        shortNames: [def.shortName],
        categories: [CATEGORY],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          additionalPrinterColumns: def.columns,
          subresources: def.scale ? { status: {}, scale: def.scale } : { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: def.description,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string', description: 'APIVersion of this object.' },
                kind: { type: 'string', description: 'Kind of this object.' },
                metadata: { type: 'object' },
                spec: plainSchema(def.spec),
                status: plainSchema(def.status),
              },
              'x-kubernetes-validations': def.rootRules,
            },
          },
        },
      ],
    },
  };
}

/** The spec schema of a kind exactly as the API server sees it (defaults written out). */
export function renderedSpecSchema(kind: 'PerpetualDeployment' | 'ModelServer'): Record<string, unknown> {
  const def = kinds.find((k) => k.kind === kind);
  if (!def) throw new Error(`unknown kind ${kind}`);
  return plainSchema(def.spec);
}

/** Every CRD the project defines, in a stable order. */
export function customResourceDefinitions(): CustomResourceDefinitionManifest[] {
  return kinds.map(customResourceDefinition);
}
