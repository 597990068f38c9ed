// Schema pieces shared by PerpetualDeployment and ModelServer.
import Type from 'typebox';
import type { V1Affinity } from '@kubernetes/client-node';
import { affinity, quantity, stringEnum, stringMap, withRules } from './schema-helpers.ts';

/** A key in a Secret in the same namespace as the resource. */
export function secretKeyRef(description: string, defaultKey: string) {
  return Type.Object(
    {
      name: Type.String({ description: 'Name of the Secret, in the same namespace.', minLength: 1, maxLength: 253 }),
      key: Type.String({ description: 'Key inside the Secret.', default: defaultKey, minLength: 1, maxLength: 253 }),
    },
    { description },
  );
}

/**
 * Model names as clients send them in `model`. The character set is what providers use (letters,
 * digits and `. _ - / : @ +`: `gpt-4o-mini`, `meta-llama/Llama-3.1-8B`, `ft:gpt-4o-mini:org::id`,
 * `claude-sonnet-4-5@20250929`): the gateway echoes the name in a response header and in metric
 * labels, where a newline, a NUL or a non-ASCII letter would fail after the upstream was paid. The
 * gateway checks requests against the same pattern (gateway/chat/model-name.ts; a test keeps them equal).
 */
export const MODEL_NAME_PATTERN = '^[A-Za-z0-9._:@+/-]+$';
export const MODEL_NAME_MAX_LENGTH = 256;

/** A model name field (see MODEL_NAME_PATTERN). */
export function modelName(description: string) {
  return Type.String({ description, minLength: 1, maxLength: MODEL_NAME_MAX_LENGTH, pattern: MODEL_NAME_PATTERN });
}

/** A reference to another object in the same namespace by name. */
export function localRef(description: string) {
  return Type.Object(
    { name: Type.String({ description: 'Name of the object, in the same namespace.', minLength: 1, maxLength: 253 }) },
    { description },
  );
}

/** Compute resources for one container (the Kubernetes `ResourceRequirements` subset we pass through). */
export const Resources = Type.Object(
  {
    requests: Type.Optional(
      Type.Unsafe<Record<string, string | number>>({
        type: 'object',
        additionalProperties: quantity({ description: 'A resource quantity.' }),
        description: 'Minimum resources, e.g. `{cpu: 500m, memory: 1Gi}`.',
      }),
    ),
    limits: Type.Optional(
      Type.Unsafe<Record<string, string | number>>({
        type: 'object',
        additionalProperties: quantity({ description: 'A resource quantity.' }),
        description: 'Maximum resources, e.g. `{memory: 2Gi}`.',
      }),
    ),
  },
  { description: 'CPU and memory requests and limits for the container.' },
);

/** An environment variable: a literal value or a key from a Secret (never an inline secret). */
export const EnvVar = Type.Object(
  {
    name: Type.String({ description: 'Variable name.', minLength: 1, pattern: '^[-._a-zA-Z][-._a-zA-Z0-9]*$' }),
    value: Type.Optional(Type.String({ description: 'Literal value. Put secrets in `secretKeyRef` instead.' })),
    secretKeyRef: Type.Optional(secretKeyRef('Take the value from this Secret key.', 'value')),
  },
  {
    description: 'An environment variable for the container.',
    'x-kubernetes-validations': [
      { rule: 'has(self.value) != has(self.secretKeyRef)', message: 'set exactly one of value or secretKeyRef' },
    ],
  },
);

/** A Kubernetes toleration. */
export const Toleration = Type.Object(
  {
    key: Type.Optional(Type.String({ description: 'Taint key to tolerate; empty with operator Exists matches all.' })),
    operator: Type.Optional(stringEnum(['Exists', 'Equal'], { description: 'How key and value match.', default: 'Equal' })),
    value: Type.Optional(Type.String({ description: 'Taint value to match when operator is Equal.' })),
    effect: Type.Optional(
      stringEnum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'], { description: 'Taint effect to match; empty matches all.' }),
    ),
    tolerationSeconds: Type.Optional(Type.Integer({ description: 'For NoExecute: how long the pod stays bound after the taint appears.' })),
  },
  { description: 'Lets pods schedule onto nodes with a matching taint.' },
);

/** Extra pod labels, annotations and scheduling settings merged into a generated pod template. */
export const PodTemplateOverrides = Type.Object(
  {
    labels: Type.Optional(stringMap({ description: "Extra labels on the pods. The operator's own labels win on conflict." })),
    annotations: Type.Optional(stringMap({ description: 'Extra annotations on the pods.' })),
    nodeSelector: Type.Optional(stringMap({ description: 'Node labels the pods must run on.' })),
    tolerations: Type.Optional(Type.Array(Toleration, { description: 'Tolerations added to the pods.', maxItems: 32 })),
    affinity: Type.Optional(affinity<V1Affinity>({ description: 'A Kubernetes Affinity for the pods.' })),
    priorityClassName: Type.Optional(Type.String({ description: 'PriorityClass of the pods.' })),
    serviceAccountName: Type.Optional(Type.String({ description: 'ServiceAccount the pods run as.' })),
    imagePullSecrets: Type.Optional(
      Type.Array(localRef('A Secret with registry credentials.'), { description: 'Secrets for pulling images.', maxItems: 16 }),
    ),
  },
  { description: 'Overrides merged into the generated pod template.' },
);

/** A seccomp profile; `restricted` Pod Security accepts RuntimeDefault and Localhost. */
const SeccompProfile = withRules(
  Type.Object(
    {
      type: stringEnum(['RuntimeDefault', 'Localhost', 'Unconfined'], {
        description: "Which profile: the runtime's default, a file on the node, or none.",
      }),
      localhostProfile: Type.Optional(
        Type.String({
          description: "For type Localhost: the profile's path relative to the kubelet's seccomp directory.",
          minLength: 1,
          maxLength: 4096,
        }),
      ),
    },
    { description: 'The seccomp profile the containers run under.' },
  ),
  [
    {
      rule: "(self.type == 'Localhost') == has(self.localhostProfile)",
      message: 'localhostProfile is required for type Localhost and only allowed there',
      fieldPath: '.localhostProfile',
    },
  ],
);

// Linux user and group ids as the kubelet takes them (int64, never negative).
const linuxId = (description: string) => Type.Integer({ description, minimum: 0, maximum: 2147483647 });

/**
 * The core/v1 PodSecurityContext fields Pod Security `restricted` is about, typed, so a wrong value
 * is refused with the field named (an untyped object would be stored and fail only at pod creation).
 */
export const PodSecurityContext = Type.Object(
  {
    runAsNonRoot: Type.Optional(Type.Boolean({ description: 'Refuse to start a container whose user is root.' })),
    runAsUser: Type.Optional(linuxId('User id the containers run as.')),
    runAsGroup: Type.Optional(linuxId('Primary group id the containers run as.')),
    fsGroup: Type.Optional(linuxId("Group that owns the pod's volumes (and is added to every container).")),
    fsGroupChangePolicy: Type.Optional(
      stringEnum(['OnRootMismatch', 'Always'], { description: 'When the kubelet changes volume ownership to fsGroup.' }),
    ),
    supplementalGroups: Type.Optional(
      Type.Array(linuxId('A group id.'), { description: 'Extra groups for every container.', maxItems: 32 }),
    ),
    seccompProfile: Type.Optional(SeccompProfile),
  },
  { description: 'Pod-level security settings (a typed subset of core/v1 PodSecurityContext).' },
);

/** The core/v1 SecurityContext fields of one container that Pod Security `restricted` checks, typed. */
export const ContainerSecurityContext = Type.Object(
  {
    allowPrivilegeEscalation: Type.Optional(
      Type.Boolean({ description: 'Whether a process may gain more privileges than its parent (restricted: false).' }),
    ),
    privileged: Type.Optional(Type.Boolean({ description: 'Run the container privileged (refused by baseline and restricted).' })),
    readOnlyRootFilesystem: Type.Optional(Type.Boolean({ description: "Mount the container's root filesystem read-only." })),
    runAsNonRoot: Type.Optional(Type.Boolean({ description: 'Refuse to start the container if its user is root.' })),
    runAsUser: Type.Optional(linuxId('User id the container runs as.')),
    runAsGroup: Type.Optional(linuxId('Primary group id the container runs as.')),
    capabilities: Type.Optional(
      Type.Object(
        {
          add: Type.Optional(
            Type.Array(Type.String({ maxLength: 64, pattern: '^[A-Z_]+$' }), {
              description: 'Capabilities to add, e.g. NET_BIND_SERVICE.',
              maxItems: 64,
            }),
          ),
          drop: Type.Optional(
            Type.Array(Type.String({ maxLength: 64, pattern: '^[A-Z_]+$' }), {
              description: 'Capabilities to drop (restricted: ALL).',
              maxItems: 64,
            }),
          ),
        },
        { description: 'Linux capabilities to add and drop.' },
      ),
    ),
    seccompProfile: Type.Optional(SeccompProfile),
  },
  { description: 'Security settings of the main container (a typed subset of core/v1 SecurityContext).' },
);

/** A core/v1 LabelSelector: every matchLabels pair and every expression must hold. */
export const LabelSelector = Type.Object(
  {
    matchLabels: Type.Optional(stringMap({ description: 'Labels that must all be present with these values.' })),
    matchExpressions: Type.Optional(
      Type.Array(
        withRules(
          Type.Object(
            {
              key: Type.String({ description: 'Label key.', minLength: 1, maxLength: 317 }),
              operator: stringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist'], {
                description: "How the key's value is compared with values.",
              }),
              values: Type.Optional(Type.Array(Type.String({ maxLength: 63 }), { description: 'Values for In and NotIn.', maxItems: 64 })),
            },
            { description: 'A label requirement.' },
          ),
          [
            {
              rule: "(self.operator in ['In', 'NotIn']) == (has(self.values) && size(self.values) > 0)",
              message: 'values are required for In and NotIn, and not allowed for Exists and DoesNotExist',
              fieldPath: '.values',
            },
          ],
        ),
        { description: 'Label requirements.', maxItems: 16 },
      ),
    ),
  },
  { description: 'A label selector (core/v1 LabelSelector); empty selects everything.' },
);

/** A condition in the standard Kubernetes `metav1.Condition` shape. */
export const Condition = Type.Object(
  {
    type: Type.String({ description: 'Condition type, e.g. Ready.', maxLength: 316 }),
    status: stringEnum(['True', 'False', 'Unknown'], { description: 'Whether the condition holds.' }),
    reason: Type.String({ description: 'A CamelCase machine-readable reason.', maxLength: 1024 }),
    message: Type.String({ description: 'A human-readable explanation.', maxLength: 32768 }),
    lastTransitionTime: Type.String({ description: 'When the status last changed.', format: 'date-time' }),
    observedGeneration: Type.Optional(Type.Integer({ description: 'The generation this condition was computed for.', minimum: 0 })),
  },
  { description: "One aspect of the resource's state." },
);

/** Conditions keyed by type, so each type appears once. */
export function conditionList() {
  return Type.Array(Condition, {
    description: "The latest observations of the resource's state, one per type.",
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
    maxItems: 32,
  });
}

/** The coarse lifecycle phase shown in `kubectl get`. Conditions carry the detail. */
export const PHASES = ['Pending', 'Progressing', 'Ready', 'Degraded', 'Failed'] as const;
export type Phase = (typeof PHASES)[number];

/** The longest phaseReason (and models[].message) the API server accepts; status code clips to it. */
export const SENTENCE_MAX_LENGTH = 1024;

/** Common status fields: observed generation, phase with a one-sentence reason, conditions. */
export const statusBase = {
  observedGeneration: Type.Optional(Type.Integer({ description: 'The spec generation this status describes.', minimum: 0 })),
  phase: Type.Optional(stringEnum(PHASES, { description: 'Coarse lifecycle phase; see conditions for detail.' })),
  phaseReason: Type.Optional(Type.String({ description: 'One sentence explaining the phase.', maxLength: SENTENCE_MAX_LENGTH })),
  conditions: Type.Optional(conditionList()),
};

/** The metadata.name rule: short enough that derived child names fit, and a valid DNS-1035 label. */
export const nameRule = {
  rule: "size(self.metadata.name) <= 40 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",
  message: 'metadata.name must be at most 40 characters of lower-case letters, digits and "-", starting with a letter',
};
