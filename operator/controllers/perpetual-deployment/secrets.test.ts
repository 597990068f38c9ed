import { describe, expect, it } from 'vitest';
import { notOurs } from './secrets.ts';

const adminToken = { name: 'app-admin-token', key: 'token', component: 'gateway' };
const ours = { kind: 'PerpetualDeployment', name: 'app', uid: 'uid-app', apiVersion: 'perpetual.ai/v1alpha1', controller: true };

describe('notOurs', () => {
  it('accepts no Secret at all (it will be generated) and one this PerpetualDeployment controls', () => {
    expect(notOurs(adminToken, undefined, 'uid-app')).toBeUndefined();
    expect(notOurs(adminToken, { name: 'app-admin-token', ownerReferences: [ours] }, 'uid-app')).toBeUndefined();
  });

  it('refuses a Secret nobody controls, saying how to fix it', () => {
    expect(notOurs(adminToken, { name: 'app-admin-token' }, 'uid-app')).toEqual({
      purpose: 'admin token',
      reason: 'SecretNotOwned',
      message:
        'Secret "app-admin-token" already exists and has no controller, not this PerpetualDeployment; its value is not used. ' +
        'Delete that Secret (one is then generated) or rename this PerpetualDeployment.',
    });
  });

  it('refuses one another object controls, an earlier PerpetualDeployment of the same name included', () => {
    const earlier = notOurs(adminToken, { ownerReferences: [{ ...ours, uid: 'uid-earlier' }] }, 'uid-app');
    expect(earlier?.message).toContain('is controlled by PerpetualDeployment "app", not this PerpetualDeployment');
    // A non-controller reference (e.g. a backup tool's) does not make it ours.
    expect(notOurs(adminToken, { ownerReferences: [{ ...ours, controller: false }] }, 'uid-app')?.reason).toBe('SecretNotOwned');
  });

  it('names the component a generated Secret is for', () => {
    expect(notOurs({ name: 'app-redis-password', key: 'password', component: 'redis' }, {}, 'uid-app')?.purpose).toBe('cache');
    expect(notOurs({ name: 'app-qdrant-api-key', key: 'api-key', component: 'qdrant' }, {}, 'uid-app')?.purpose).toBe('vector store');
  });
});
