// The `audit_log` table: who did what to whom, append-only (a trigger refuses deletes and any
// update but pseudonymisation). Rows name users by id in plain columns, never by foreign key, so
// they outlive an erasure, which replaces the id by a pseudonym.
import { randomUUID } from 'node:crypto';
import type { Queryable } from './pool.ts';

/**
 * What happened. budget.soft_limit_reached is the one the gateway records itself (actor
 * "gateway"): a money budget passed its soft threshold, once per budget and window.
 */
export type AuditAction =
  | 'budget.soft_limit_reached'
  | 'user.created'
  | 'user.tier_changed'
  | 'user.erased'
  | 'key.issued'
  | 'key.rotated'
  | 'key.revoked'
  | 'provider_key.added'
  | 'provider_key.removed'
  | 'budget.changed';

export interface AuditEntry {
  /** "admin" (the platform team's token) or the acting user's id. */
  actor: string;
  action: AuditAction;
  /** The user acted upon. */
  targetUser?: string | null;
  /** What within it: a key id, a provider name. */
  target?: string | null;
  requestId?: string | null;
  /** Anything else worth keeping (a new tier, an expiry). Erasure drops `email` from it. */
  details?: Record<string, unknown>;
}

export interface AuditRecord {
  /** Ascending with time; the paging cursor. A string: BIGINT does not fit a JS number in general. */
  id: string;
  at: Date;
  actor: string;
  action: string;
  targetUser: string | null;
  target: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

export interface ListAuditOptions {
  /** Rows older than this id (the `next_cursor` of the previous page). */
  before?: string;
  limit: number;
  /** Only rows about (or by) this user. */
  user?: string;
  action?: string;
}

const AUDIT_COLUMNS = `id::text AS id, at, actor, action, target_user AS "targetUser", target, request_id AS "requestId", details`;

export async function insertAudit(db: Queryable, entry: AuditEntry): Promise<void> {
  await db.query('INSERT INTO audit_log (actor, action, target_user, target, request_id, details) VALUES ($1, $2, $3, $4, $5, $6::jsonb)', [
    entry.actor,
    entry.action,
    entry.targetUser ?? null,
    entry.target ?? null,
    entry.requestId ?? null,
    JSON.stringify(entry.details ?? {}),
  ]);
}

/**
 * Newest first, `limit` rows. The order names the table's column: a bare `id` would be the
 * selected text and sort "9" above "43".
 */
export async function listAudit(db: Queryable, options: ListAuditOptions): Promise<AuditRecord[]> {
  const { rows } = await db.query<AuditRecord>(
    `SELECT ${AUDIT_COLUMNS} FROM audit_log
      WHERE ($1::bigint IS NULL OR id < $1) AND ($2::text IS NULL OR target_user = $2 OR actor = $2) AND ($3::text IS NULL OR action = $3)
      ORDER BY audit_log.id DESC LIMIT $4`,
    [options.before ?? null, options.user ?? null, options.action ?? null, options.limit],
  );
  return rows;
}

/**
 * Erasure: the user's id becomes one fresh random pseudonym in every row that names them (as
 * actor or target), and personal details go. Returns the pseudonym, for the erasure's own row.
 */
export async function pseudonymiseAudit(db: Queryable, userId: string): Promise<string> {
  const pseudonym = `erased:${randomUUID()}`;
  await db.query(
    `UPDATE audit_log SET
       actor = CASE WHEN actor = $1 THEN $2 ELSE actor END,
       target_user = CASE WHEN target_user = $1 THEN $2 ELSE target_user END,
       details = details - 'email'
     WHERE actor = $1 OR target_user = $1`,
    [userId, pseudonym],
  );
  return pseudonym;
}
