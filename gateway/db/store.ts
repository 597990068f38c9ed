// The routes' Store, bound to a PostgreSQL pool.
import type pg from 'pg';
import { limitsForTier, type GatewayConfig } from '../config.ts';
import type { Store } from '../store.ts';
import { insertApiKey, listKeys, revokeKey, rotateKey } from './api-keys.ts';
import { insertAudit, listAudit, pseudonymiseAudit } from './audit-log.ts';
import { getOverrides, setOverrides } from './limit-overrides.ts';
import { deleteProviderKey, listProviderKeys, upsertProviderKey } from './provider-keys.ts';
import { withTransaction } from './pool.ts';
import { deleteResponse, getResponse, insertResponse } from './responses.ts';
import { anonymizeUsage, listUsage, summarizeUsage, usageReport } from './usage-logs.ts';
import { createUser, deleteUserCascade, getUser, setTier } from './users.ts';

export function databaseStore(pool: pg.Pool, config: Pick<GatewayConfig, 'tiers' | 'defaultLimits' | 'usage'>): Store {
  return {
    createUser: (email, tier) => createUser(pool, email, tier),
    getUser: (id) => getUser(pool, id),
    setTier: (id, tier) => {
      const limits = limitsForTier(config, tier);
      return setTier(pool, id, tier, { perMinute: limits.requestsPerMinute, perDay: limits.requestsPerDay });
    },
    // One transaction: the audit log forgets the user exactly when everything else does.
    deleteUser: (id) =>
      withTransaction(pool, async (client) => {
        if (config.usage.onUserDelete === 'anonymize') await anonymizeUsage(client, id);
        const deleted = await deleteUserCascade(client, id);
        return { ...deleted, pseudonym: await pseudonymiseAudit(client, id) };
      }),
    insertApiKey: (key) => insertApiKey(pool, key),
    listApiKeys: (userId) => listKeys(pool, userId),
    revokeApiKey: (userId, keyId) => revokeKey(pool, userId, keyId),
    rotateApiKey: (rotation) => rotateKey(pool, rotation),
    upsertProviderKey: (key) => upsertProviderKey(pool, key),
    listProviderKeys: (userId) => listProviderKeys(pool, userId),
    deleteProviderKey: (userId, provider) => deleteProviderKey(pool, userId, provider),
    listUsage: (userId, options) => listUsage(pool, userId, options),
    summarizeUsage: (userId, window) => summarizeUsage(pool, userId, window),
    usageReport: (userId, window) => usageReport(pool, userId, window),
    getLimitOverrides: (target) => getOverrides(pool, target),
    setLimitOverrides: (target, changes) => setOverrides(pool, target, changes),
    recordAudit: (entry) => insertAudit(pool, entry),
    listAudit: (options) => listAudit(pool, options),
    saveResponse: (stored) => insertResponse(pool, stored),
    getResponse: (scope, id) => getResponse(pool, scope, id),
    deleteResponse: (scope, id) => deleteResponse(pool, scope, id),
  };
}
