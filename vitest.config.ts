// Six tiers (see DESIGN.md "Test tiers"). Each tier's global setup starts the real components it
// needs once and hands their addresses to the tests through `inject`. hack/test.sh runs e2e on its
// own after the others, so that its real containers never compete with the timing-sensitive tiers
// for the machine's two cores.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['operator/**/*.test.ts', 'gateway/**/*.test.ts', 'hack/**/*.test.ts', 'test/harness/**/*.test.ts'],
        },
      },
      {
        extends: true,
        // Operator tests run one file at a time: two operators on one control plane would both reconcile.
        test: { name: 'api', include: ['test/api/**/*.test.ts'], globalSetup: ['test/setup/api-control-plane.ts'], fileParallelism: false },
      },
      {
        extends: true,
        test: {
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          globalSetup: ['test/setup/cluster-control-plane.ts'],
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: { name: 'services', include: ['test/services/**/*.test.ts'], globalSetup: ['test/setup/datastores.ts'] },
      },
      {
        extends: true,
        // The gateway against real PostgreSQL and Redis (each file takes its own database and key prefix).
        test: { name: 'gateway', include: ['test/gateway/**/*.test.ts'], globalSetup: ['test/setup/datastores.ts'] },
      },
      {
        extends: true,
        // A real node (kubelet, containerd, runc, kube-proxy, CoreDNS) with images built from this repository.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/setup/node.ts'],
          fileParallelism: false,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
