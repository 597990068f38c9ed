// What the HTTP routes need from PostgreSQL: the repositories in db/, bound to a pool
// (db/store.ts) so routes never see connections. Tests can bind the same interface to anything.
import type { ApiKey, KeyRotation, NewApiKey, RotatedKey } from './db/api-keys.ts';
import type { AuditEntry, AuditRecord, ListAuditOptions } from './db/audit-log.ts';
import type { ProviderKey, ProviderKeyInput } from './db/provider-keys.ts';
import type { ResponseScope, StoredResponse } from './db/responses.ts';
import type { ListUsageOptions, UsageLog, UsageReport, UsageSummary, UsageWindow } from './db/usage-logs.ts';
import type { DeletedUser, User } from './db/users.ts';
import type { LimitOverrides } from './budget/limits.ts';
import type { OverrideTarget } from './db/limit-overrides.ts';

export interface Store {
  createUser(email: string, tier: string): Promise<User>;
  getUser(id: string): Promise<User | null>;
  /** Also moves the user's keys to the tier and its limits. */
  setTier(id: string, tier: string): Promise<User | null>;
  /** Removes the user and every row that references them; pseudonymises them in the audit log. */
  deleteUser(id: string): Promise<DeletedUser>;

  insertApiKey(key: NewApiKey): Promise<ApiKey>;
  listApiKeys(userId: string): Promise<ApiKey[]>;
  /** Deactivates one of the user's keys; returns its hash (to evict caches) or null if none. */
  revokeApiKey(userId: string, keyId: string): Promise<string | null>;
  /** Issues the replacement of one of the user's keys; the old one works until `graceUntil`. Null if no such rotatable key. */
  rotateApiKey(rotation: KeyRotation): Promise<RotatedKey | null>;

  upsertProviderKey(key: ProviderKeyInput): Promise<ProviderKey>;
  listProviderKeys(userId: string): Promise<ProviderKey[]>;
  deleteProviderKey(userId: string, provider: string): Promise<boolean>;

  listUsage(userId: string, options: ListUsageOptions): Promise<UsageLog[]>;
  summarizeUsage(userId: string, window: UsageWindow): Promise<UsageSummary>;
  /** Totals per model per UTC day and calendar month. */
  usageReport(userId: string, window: UsageWindow): Promise<UsageReport>;

  /** Budgets and token limits set on a user or a key (all null: none); undefined when no such user or key. */
  getLimitOverrides(target: OverrideTarget): Promise<LimitOverrides | undefined>;
  /** Sets the given fields (null removes one); returns the result and the hashes of the keys it affects. */
  setLimitOverrides(
    target: OverrideTarget,
    changes: Partial<LimitOverrides>,
  ): Promise<{ overrides: LimitOverrides; keyHashes: string[] } | undefined>;

  recordAudit(entry: AuditEntry): Promise<void>;
  /** Newest first, before the cursor. */
  listAudit(options: ListAuditOptions): Promise<AuditRecord[]>;

  saveResponse(stored: StoredResponse): Promise<void>;
  /** Null when the scope has no response with this id: missing and someone else's are alike. */
  getResponse(scope: ResponseScope, id: string): Promise<StoredResponse | null>;
  deleteResponse(scope: ResponseScope, id: string): Promise<boolean>;
}
