// The specs behind the builders' golden YAML files, shared by the unit tests that render them
// (operator/controllers/*/desired.test.ts, autoscaling.test.ts) and by the API test that applies
// them to a real API server and counts writes (test/api/steady-state-writes.test.ts): one list,
// so a spec added to the goldens is checked for steady-state writes too.

/** ModelServer specs, by the name their golden file and test object carry. */
export const goldenModelServerSpecs = {
  llama: {
    model: { id: 'meta-llama/Llama-3.1-70B-Instruct', servedName: 'llama-70b', revision: 'main' },
    engine: { args: ['--enable-prefix-caching'], env: [{ name: 'HF_TOKEN', secretKeyRef: { name: 'hf', key: 'token' } }] },
    gpu: { count: 4, product: 'NVIDIA-H100-80GB-HBM3' },
    vllm: { gpuMemoryUtilization: 0.85, maxModelLen: 16384 },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'llm', effect: 'NoSchedule' }],
    priorityClassName: 'inference',
    runtimeClassName: 'nvidia',
    cache: { size: '200Gi', storageClassName: 'fast', accessMode: 'ReadWriteMany' },
    // Idle, one replica sleeps (vLLM sleep mode) instead of the last one going away.
    autoscaling: { minReplicas: 0, maxReplicas: 4, standby: { sleepLevel: 1 } },
    replicas: 2,
    // Spans to a collector over OTLP/HTTP, one in ten new traces kept.
    tracing: { endpoint: 'http://otel-collector.monitoring:4318/', samplerRatio: 0.1 },
    // What Pod Security `restricted` asks of a pod, for an image that runs as a non-root user.
    podTemplate: {
      labels: { team: 'ml', 'app.kubernetes.io/component': 'not-ours-to-change' },
      annotations: { 'example.com/owner': 'ml-platform' },
      nodeSelector: { pool: 'gpu' },
      tolerations: [{ key: 'spot', operator: 'Exists', effect: 'NoSchedule' }],
      serviceAccountName: 'llama',
      securityContext: { runAsNonRoot: true, runAsUser: 2000, runAsGroup: 2000, fsGroup: 2000, seccompProfile: { type: 'RuntimeDefault' } },
      containerSecurityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } }, { name: 'template', configMap: { name: 'chat-template' } }],
      volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, { name: 'template', mountPath: '/etc/vllm/template.jinja', subPath: 'template.jinja', readOnly: true }],
    },
  },
  tiny: { model: { id: 'org/tiny' }, gpu: { count: 0 }, rollout: { strategy: 'Recreate' } },
  mistral: { model: { id: 'mistralai/Mistral-7B-Instruct-v0.2', servedName: 'mistral-7b' } },
  'llama-hpa': autoscaled('hpa'),
  'llama-keda': autoscaled('keda'),
};

/** A ModelServer scaled by an HPA or a KEDA ScaledObject (autoscaling.test.ts adds to `autoscaling`). */
export function autoscaled(engine: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: { id: 'meta-llama/Llama-3.1-8B-Instruct', servedName: 'llama-8b' },
    autoscaling: { engine, minReplicas: 0, maxReplicas: 6, metric: 'inFlight', target: 4, scaleDownDelaySeconds: 120, ...extra },
  };
}

/** What every PerpetualDeployment below needs (the Secrets' names). */
export const goldenBase = { database: { secretRef: { name: 'db' } }, encryptionKeySecretRef: { name: 'enc' } };

/** PerpetualDeployment specs (without goldenBase), by golden file name. */
export const goldenPerpetualDeploymentSpecs = {
  proxy: {
    mode: 'proxy',
    gateway: { replicas: 3, env: [{ name: 'DEBUG', value: 'false' }], podTemplate: { nodeSelector: { pool: 'api' } } },
    models: [
      { name: 'gpt-4o-mini', provider: 'openai', pricing: { inputPerMillionTokens: 0.15, outputPerMillionTokens: 0.6 } },
      { name: 'claude', provider: 'anthropic', upstreamModel: 'claude-sonnet-4-5', fallback: 'gpt-4o-mini' },
    ],
    billing: { polar: { tokenSecretRef: { name: 'polar' }, organizationId: 'org_123' } },
    networkPolicy: {
      gatewayIngressFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }, { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }],
      metricsFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['prometheus'] }] } }],
    },
  },
  local: {
    mode: 'local',
    gateway: { autoscaling: { minReplicas: 2, maxReplicas: 8 } },
    vectorStore: { managed: { replicas: 3, storage: { size: '50Gi', storageClassName: 'fast' }, retainOnDelete: false } },
    models: [{ name: 'mistral-7b', modelServerRef: { name: 'mistral' } }],
    auth: { jwtSecretRef: { name: 'supabase' } },
  },
  external: {
    mode: 'proxy',
    vectorStore: { type: 'external', external: { url: 'https://xyz.cloud.qdrant.io:6333', apiKeySecretRef: { name: 'qdrant' } } },
    cache: { type: 'external', external: { url: 'rediss://cache.example:6380', passwordSecretRef: { name: 'redis' } } },
    // Both datastores outside the cluster: only DNS, the namespace and these ranges are reachable.
    networkPolicy: { gatewayEgress: { policy: 'Restricted', allowedCIDRs: ['203.0.113.0/24', '2001:db8::/32'] } },
    // Traces to a collector: the gateway pods get the OpenTelemetry variables.
    observability: { tracing: { endpoint: 'http://otel-collector.monitoring:4318', samplerRatio: 0.25 } },
  },
};
