// Helpers for tests that run against the control plane their project's global setup started.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeConfigFrom, kubectlFor, type ControlPlane } from '../harness/control-plane.ts';
import '../setup/provided.ts';

export interface TestCluster {
  kubeconfigPath: string;
  kubectl: ControlPlane['kubectl'];
  kubeConfig(): KubeConfig;
  /** Runs kubectl and fails the test with kubectl's stderr when it exits non-zero. */
  kubectlOk(args: string[], input?: string): Promise<string>;
  /** A fresh namespace for one test file, so files never see each other's objects. */
  createNamespace(prefix: string): Promise<string>;
  /** The messages of the events with `reason` about the object `name` in `ns`, space-separated ('' for none). */
  eventMessages(ns: string, name: string, reason: string): Promise<string>;
}

export function testCluster(): TestCluster {
  const { kubeconfigPath, dir } = inject('controlPlane');
  const kubectl = kubectlFor(kubeconfigPath, dir);
  const kubectlOk = async (args: string[], input?: string): Promise<string> => {
    const result = await kubectl(args, input);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`);
    return result.stdout;
  };
  return {
    kubeconfigPath,
    kubectl,
    kubectlOk,
    kubeConfig: () => kubeConfigFrom(kubeconfigPath),
    createNamespace: async (prefix) => {
      const name = `${prefix}-${randomBytes(3).toString('hex')}`;
      await kubectlOk(['create', 'namespace', name]);
      return name;
    },
    eventMessages: (ns, name, reason) =>
      kubectlOk([
        'get',
        'events',
        '-n',
        ns,
        '--field-selector',
        `involvedObject.name=${name},reason=${reason}`,
        '-o',
        'jsonpath={.items[*].message}',
      ]),
  };
}

/**
 * Parses `kubectl get` table output into rows keyed by header, using the header's column positions
 * (empty cells are blank, so splitting on whitespace would shift columns).
 */
export function parseTable(output: string): Record<string, string>[] {
  const [header = '', ...lines] = output.split('\n').filter((line) => line.trim() !== '');
  const columns = [...header.matchAll(/\S+/g)].map((m) => ({ name: m[0], start: m.index }));
  return lines.map((line) =>
    Object.fromEntries(columns.map((column, i) => [column.name, line.slice(column.start, columns[i + 1]?.start ?? line.length).trim()])),
  );
}
