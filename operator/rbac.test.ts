// config/rbac/role.yaml must cover every kind the operator watches or writes, with the verbs it uses.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { METADATA_WATCHED_KINDS, OPTIONAL_KINDS, WATCHED_KINDS } from './manager.ts';
import { MODEL_SERVER_CHILD_KINDS, MODEL_SERVER_OPTIONAL_CHILD_KINDS } from './controllers/model-server/reconciler.ts';
import { PERPETUAL_DEPLOYMENT_CHILD_KINDS } from './controllers/perpetual-deployment/reconciler.ts';
import { Kinds, type KindName } from './kube/resource-kinds.ts';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const role = parseAllDocuments(readFileSync(join(import.meta.dirname, '../config/rbac/role.yaml'), 'utf8'))[0]?.toJS() as { rules: Rule[] };

function allowed(kind: KindName, subresource = ''): Set<string> {
  const { apiVersion, plural } = Kinds[kind];
  const group = apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
  const resource = subresource ? `${plural}/${subresource}` : plural;
  return new Set(role.rules.filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource)).flatMap((r) => r.verbs));
}

describe('the operator ClusterRole', () => {
  it.each([...new Set([...WATCHED_KINDS, ...METADATA_WATCHED_KINDS, ...OPTIONAL_KINDS])])('lets the operator watch %s', (kind) => {
    expect([...allowed(kind)]).toEqual(expect.arrayContaining(['get', 'list', 'watch']));
  });

  it.each([...new Set([...PERPETUAL_DEPLOYMENT_CHILD_KINDS, ...MODEL_SERVER_CHILD_KINDS, ...MODEL_SERVER_OPTIONAL_CHILD_KINDS])])(
    'lets the operator apply and prune %s',
    (kind) => {
      // Server-side apply is a patch that may create; pruning deletes.
      expect([...allowed(kind)]).toEqual(expect.arrayContaining(['create', 'patch', 'delete']));
    },
  );

  it.each(['PerpetualDeployment', 'ModelServer'] as KindName[])('lets the operator write %s status, and nothing in its spec', (kind) => {
    expect([...allowed(kind, 'status')]).toContain('patch');
    expect([...allowed(kind)].sort()).toEqual(['get', 'list', 'watch']);
  });

  it('lets the autoscaler write replicas through the ModelServer scale subresource, and only there', () => {
    expect([...allowed('ModelServer', 'scale')].sort()).toEqual(['get', 'patch', 'update']);
    expect(allowed('ModelServer').has('patch')).toBe(false);
  });

  it('grants nothing it does not need', () => {
    const verbs = role.rules.flatMap((r) => r.verbs);
    expect(verbs).not.toContain('*');
    expect(role.rules.flatMap((r) => r.resources)).not.toContain('*');
    expect(allowed('Pod').has('delete')).toBe(false);
  });
});
