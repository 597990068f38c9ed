import type { KubernetesObject, V1Deployment, V1DeploymentSpec, V1PodSpec } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { APPLIED_HASH_ANNOTATION, isSubset, isUpToDate, quantityNanos, withAppliedHash } from './drift.ts';

const desired: KubernetesObject & { data: Record<string, string> } = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'c', namespace: 'n', labels: { a: '1' } },
  data: { k: 'v' },
};

describe('isSubset', () => {
  it('accepts extra fields the server adds, and nothing else', () => {
    expect(isSubset({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 2], d: 3 }, e: 4 })).toBe(true);
    expect(isSubset({ a: 1 }, { a: 2 })).toBe(false);
    expect(isSubset({ list: [1, 2] }, { list: [1, 2, 3] })).toBe(false);
    expect(isSubset({ a: { b: 1 } }, { a: null })).toBe(false);
  });

  it('takes an empty list, map or string for the absent field the server stores instead', () => {
    expect(isSubset({ env: [] }, {})).toBe(true);
    expect(isSubset({ nodeSelector: {} }, {})).toBe(true);
    expect(isSubset({ env: [{ name: 'EMPTY', value: '' }] }, { env: [{ name: 'EMPTY' }] })).toBe(true);
    // Lists that are not omitempty come back from etcd's protobuf as null.
    expect(isSubset({ rules: [] }, { rules: null })).toBe(true);
    // Still empty where the server keeps it (a struct such as `resources`).
    expect(isSubset({ resources: {} }, { resources: {} })).toBe(true);
  });

  it('still sees a change to an empty field, and keeps false, 0 and strings in maps as values', () => {
    expect(isSubset({ args: [] }, { args: ['--added'] })).toBe(false);
    expect(isSubset({ value: '' }, { value: 'edited' })).toBe(false);
    // Pointer fields keep these; a stored object without them was edited.
    expect(isSubset({ allowPrivilegeEscalation: false }, {})).toBe(false);
    expect(isSubset({ replicas: 0 }, {})).toBe(false);
    // An empty string in a map is a value the server keeps.
    expect(isSubset({ data: { empty: '' } }, { data: {} })).toBe(false);
    expect(isSubset({ metadata: { labels: { flag: '' } } }, { metadata: { labels: {} } })).toBe(false);
  });

  it('matches lists the server merges by name item by item, so items another manager added are not drift', () => {
    // `kubectl set env` or a webhook: server-side apply keeps their item, so re-applying would change nothing, forever.
    const ours = { containers: [{ name: 'vllm', env: [{ name: 'A', value: '1' }] }] };
    expect(
      isSubset(ours, {
        containers: [
          {
            name: 'vllm',
            env: [
              { name: 'ADDED', value: 'x' },
              { name: 'A', value: '1' },
            ],
          },
        ],
      }),
    ).toBe(true);
    expect(isSubset(ours, { containers: [{ name: 'sidecar' }, { name: 'vllm', env: [{ name: 'A', value: '1' }] }] })).toBe(true);
    expect(isSubset({ env: [] }, { env: [{ name: 'ADDED', value: '1' }] })).toBe(true);
    // Ours changed or gone is still drift.
    expect(isSubset(ours, { containers: [{ name: 'vllm', env: [{ name: 'A', value: '2' }] }] })).toBe(false);
    expect(isSubset(ours, { containers: [{ name: 'vllm', env: [{ name: 'B', value: '1' }] }] })).toBe(false);
    expect(isSubset(ours, { containers: [{ name: 'other', env: [{ name: 'A', value: '1' }] }] })).toBe(false);
    // Atomic lists (args, tolerations) are replaced whole by an apply: an extra item is drift.
    expect(isSubset({ tolerations: [{ key: 'gpu' }] }, { tolerations: [{ key: 'gpu' }, { key: 'added' }] })).toBe(false);
  });

  it('compares quantities by value, as the server canonicalises them', () => {
    const want = { resources: { requests: { cpu: '0.5', memory: '1.5Gi' }, limits: { cpu: '1000m', memory: 2, 'nvidia.com/gpu': '1' } } };
    const stored = { resources: { requests: { cpu: '500m', memory: '1536Mi' }, limits: { cpu: '1', memory: '2', 'nvidia.com/gpu': '1' } } };
    expect(isSubset(want, stored)).toBe(true);
    expect(isSubset({ emptyDir: { medium: 'Memory', sizeLimit: '0.5Gi' } }, { emptyDir: { medium: 'Memory', sizeLimit: '512Mi' } })).toBe(
      true,
    );
    expect(
      isSubset({ spec: { resources: { requests: { storage: '1.5Gi' } } } }, { spec: { resources: { requests: { storage: '1536Mi' } } } }),
    ).toBe(true);
    const hpaTarget = (averageValue: string, value: string) => ({
      metrics: [{ type: 'Pods', pods: { target: { type: 'AverageValue', averageValue, value } } }],
    });
    expect(isSubset(hpaTarget('0.8', '1e3'), hpaTarget('800m', '1k'))).toBe(true);
  });

  it('still sees a changed quantity, and compares quantity-like strings elsewhere as written', () => {
    expect(isSubset({ requests: { cpu: '0.5' } }, { requests: { cpu: '501m' } })).toBe(false);
    expect(isSubset({ requests: { memory: '1Gi' } }, { requests: { memory: '1G' } })).toBe(false);
    expect(isSubset({ requests: { cpu: 'lots' } }, { requests: { cpu: 'lots' } })).toBe(true);
    expect(isSubset({ env: [{ name: 'CPU', value: '0.5' }] }, { env: [{ name: 'CPU', value: '500m' }] })).toBe(false);
    expect(isSubset({ data: { size: '1.5Gi' } }, { data: { size: '1536Mi' } })).toBe(false);
  });
});

describe('quantityNanos', () => {
  it.each([
    ['0.5', '500m'],
    ['1.5Gi', '1536Mi'],
    ['1000m', '1'],
    ['0.1', '100m'],
    ['1e3', '1k'],
    ['1E3', '1k'],
    ['1e+3', '1k'],
    ['100e6', '1e8'],
    ['1e-3', '1m'],
    ['.5', '500m'],
    ['1.', '1'],
    ['+1', '1'],
    ['0.1m', '100u'],
    ['1024Ki', '1Mi'],
    ['2E', '2000P'],
    ['0', '0m'],
    ['-0.5', '-500m'],
  ])('reads %s as the server stores %s', (written, canonical) => {
    expect(quantityNanos(written)).toBe(quantityNanos(canonical));
    expect(quantityNanos(written)).not.toBeUndefined();
  });

  it('counts in nano-units, rounding finer amounts up and away from zero like the server', () => {
    expect(quantityNanos('500m')).toBe(500_000_000n);
    expect(quantityNanos('1Ki')).toBe(1024n * 10n ** 9n);
    expect(quantityNanos('0.1n')).toBe(1n);
    expect(quantityNanos('1.0000000001')).toBe(1_000_000_001n);
    expect(quantityNanos('-0.1n')).toBe(-1n);
    expect(quantityNanos(0.25)).toBe(250_000_000n);
    // Binary amounts are capped at the largest int64.
    expect(quantityNanos('16Ei')).toBe(quantityNanos('9223372036854775807'));
  });

  it.each(['', ' 1', '1 ', '1K', '1KI', 'abc', '1e', '1.5.5', 'Gi', '.', '1e1000', '0x10', '1toString', '1__proto__'])(
    'rejects %j',
    (text) => {
      expect(quantityNanos(text)).toBeUndefined();
    },
  );
});

describe('isUpToDate', () => {
  const stamped = withAppliedHash(desired);
  const live = { ...stamped, metadata: { ...stamped.metadata, resourceVersion: '7', uid: 'u' } };

  it('is true for what we applied, as the server returns it', () => {
    expect(isUpToDate(desired, live)).toBe(true);
  });

  it('is true for what we applied, as an item of a list response (no apiVersion or kind)', () => {
    const listed: KubernetesObject = Object.fromEntries(
      Object.entries(live).filter(([field]) => field !== 'apiVersion' && field !== 'kind'),
    );
    expect(isUpToDate(desired, listed)).toBe(true);
    expect(isUpToDate(desired, { ...listed, metadata: { ...listed.metadata, labels: { a: 'edited' } } })).toBe(false);
  });

  it("notices a missing object, someone else's edit, and a field we stopped setting", () => {
    expect(isUpToDate(desired, undefined)).toBe(false);
    const edited: typeof desired = { ...live, data: { k: 'edited' } };
    expect(isUpToDate(desired, edited)).toBe(false);
    const withoutLabel = { ...desired, metadata: { ...desired.metadata, labels: {} } };
    expect(isUpToDate(withoutLabel, live)).toBe(false); // same subset, different hash
    expect(stamped.metadata?.annotations?.[APPLIED_HASH_ANNOTATION]).toMatch(/^[0-9a-f]{16}$/);
  });

  describe('a Deployment the server stored in its own form', () => {
    // A ModelServer without env or cache, with non-canonical quantities, an empty node selector and
    // an affinity with empty parts, as the builder makes it...
    const podSpec = (containerExtras: object, podExtras: Partial<V1PodSpec>): V1PodSpec => ({
      containers: [{ name: 'vllm', image: 'vllm', args: ['--port', '8000'], ...containerExtras }],
      volumes: [{ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '8Gi' } }],
      ...podExtras,
    });
    const deployment = (labels: Record<string, string>, spec: V1PodSpec, defaults: Partial<V1DeploymentSpec> = {}): V1Deployment => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'tiny-vllm', namespace: 'ml', labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'tiny' } },
        template: { metadata: { labels: { app: 'tiny' } }, spec },
        ...defaults,
      },
    });
    const want = deployment(
      { app: 'tiny' },
      podSpec(
        { env: [], resources: { requests: { cpu: '0.5', memory: '1.5Gi' }, limits: { cpu: '1000m' } } },
        {
          nodeSelector: {},
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['gpu'] }], matchFields: [] }],
              },
              preferredDuringSchedulingIgnoredDuringExecution: [],
            },
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    labelSelector: { matchExpressions: [{ key: 'tier', operator: 'Exists', values: [] }] },
                    namespaces: [],
                    topologyKey: 'kubernetes.io/hostname',
                  },
                },
              ],
            },
          },
        },
      ),
    );
    // ...and as the API server returns it: empty fields gone, quantities canonical, defaults added.
    const stored = (spec: V1PodSpec): V1Deployment => {
      const { metadata } = withAppliedHash(want);
      const server = deployment({ app: 'tiny' }, spec, { revisionHistoryLimit: 10, progressDeadlineSeconds: 600 });
      return { ...server, metadata: { ...metadata, uid: 'u', resourceVersion: '9', generation: 1 } };
    };
    const storedSpec = (cpuRequest: string): V1PodSpec =>
      podSpec(
        {
          resources: { requests: { cpu: cpuRequest, memory: '1536Mi' }, limits: { cpu: '1' } },
          imagePullPolicy: 'IfNotPresent',
          terminationMessagePath: '/dev/termination-log',
        },
        {
          restartPolicy: 'Always',
          dnsPolicy: 'ClusterFirst',
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['gpu'] }] }],
              },
            },
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    labelSelector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
                    topologyKey: 'kubernetes.io/hostname',
                  },
                },
              ],
            },
          },
        },
      );

    it('is up to date', () => {
      expect(isUpToDate(want, stored(storedSpec('500m')))).toBe(true);
    });

    it('is not once someone changes a quantity', () => {
      expect(isUpToDate(want, stored(storedSpec('250m')))).toBe(false);
    });
  });
});
