// LoRA adapters on a ModelServer (spec.adapters, status.adapters): the schema and the few pure
// facts both the operator and the gateway need about them.
import Type from 'typebox';
import { stringEnum, withRules } from './schema-helpers.ts';

/**
 * An adapter's name: what vLLM registers it under (`lora_name`) and what clients send, alone or
 * as `<model>:<adapter>`. Lower-case letters, digits, `-`, `_` and `.`, starting and ending with a
 * letter or digit: no `:` (it separates model and adapter), no `/` (it would read as a provider).
 */
export const ADAPTER_NAME_PATTERN = '^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$';
export const ADAPTER_NAME_MAX_LENGTH = 63;

/** A Hugging Face repository id (org/name), as the Hub names repositories. */
const HF_REPO = '[A-Za-z0-9][-A-Za-z0-9_.]*/[A-Za-z0-9][-A-Za-z0-9_.]*';
/** A claim name (a DNS-1123 subdomain) and a path inside it. */
const PVC_PATH = '[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[^\\s]+';
/** spec.adapters[].source: hf://org/name, pvc://claim/path or an http(s) URL. */
export const ADAPTER_SOURCE_PATTERN = `^(hf://${HF_REPO}|pvc://${PVC_PATH}|https?://[^\\s]+)$`;

/** The gateway's tiers (spec.tiers of a PerpetualDeployment), which an adapter may be limited to. */
export const ADAPTER_TIERS = ['free', 'pro', 'enterprise'] as const;

/** Where replicas mount the claims of pvc:// adapters: /adapters/<claim>. */
export const ADAPTERS_MOUNT_ROOT = '/adapters';

export const LoraAdapter = withRules(
  Type.Object(
    {
      name: Type.String({
        description:
          'The adapter name clients send in `model`, alone or as `<model>:<adapter>` (vLLM lora_name). ' +
          'Lower-case letters, digits, `-`, `_` and `.`, at most 63 characters, starting and ending with a letter or digit.',
        minLength: 1,
        maxLength: ADAPTER_NAME_MAX_LENGTH,
        pattern: ADAPTER_NAME_PATTERN,
      }),
      source: Type.String({
        description:
          'Where the adapter weights are: `hf://org/name` (a Hugging Face repository, which vLLM downloads), ' +
          '`pvc://claim/path` (a directory in a PersistentVolumeClaim of this namespace, mounted read-only at /adapters/<claim>), ' +
          'or an `http(s)://` URL, passed to the server as is (vLLM itself loads local paths and Hugging Face ids; ' +
          "a URL needs a server or LoRA resolver plugin that fetches it, else the adapter shows Failed with the server's message).",
        // Checked by the rule below, whose message says what is allowed (a pattern would only print the regex).
        minLength: 1,
        maxLength: 1024,
      }),
      tiers: Type.Optional(
        Type.Array(stringEnum(ADAPTER_TIERS, { description: 'A tier.' }), {
          description:
            'The tiers whose API keys may use the adapter; every tier when absent. Others get a 403 naming the adapter and the tiers allowed.',
          maxItems: 3,
          'x-kubernetes-list-type': 'set',
        }),
      ),
    },
    { description: 'A LoRA adapter served on top of the model.' },
  ),
  [
    {
      rule: `self.source.matches(r'${ADAPTER_SOURCE_PATTERN}')`,
      message:
        'source must be hf://org/name (a Hugging Face repository), pvc://claim/path (a directory in a claim) or an http:// or https:// URL',
      fieldPath: '.source',
    },
  ],
);

export const ADAPTER_STATES = ['Loaded', 'Loading', 'Failed'] as const;
export type AdapterState = (typeof ADAPTER_STATES)[number];

export const AdapterStatus = Type.Object(
  {
    name: Type.String({ description: 'The adapter name.' }),
    state: stringEnum(ADAPTER_STATES, {
      description:
        '`Loaded` on every ready replica; `Loading` while some ready replica lacks it (or none is ready); `Failed` when a replica refused it.',
    }),
    loadedReplicas: Type.Integer({ description: 'Ready replicas that report the adapter loaded.', minimum: 0 }),
    message: Type.Optional(Type.String({ description: "Why it is not Loaded; for Failed, the server's own message.", maxLength: 1024 })),
  },
  { description: "One adapter's state across the ready replicas." },
);

export type LoraAdapter = Type.Static<typeof LoraAdapter>;
export type AdapterStatus = Type.Static<typeof AdapterStatus>;
