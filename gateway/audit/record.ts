// Recording an admin or self-service action in the audit log, from a route: the actor and the
// request id come from the request itself, so a route names only what it did and to whom.
// For the budget API: `await recordAudit(deps.store, res, { action: 'budget.changed', targetUser, details })`.
import type { Response } from 'express';
import type { AuditEntry } from '../db/audit-log.ts';
import { principalOf } from '../middleware/authenticate.ts';
import { requestIdOf } from '../middleware/request-id.ts';
import type { Store } from '../store.ts';

/** "admin" for the platform team's token; the user's id for a session or an API key. */
export function actorOf(res: Response): string {
  const principal = principalOf(res);
  return principal.via === 'admin' ? 'admin' : principal.userId;
}

/**
 * Writes the row after the action succeeded. A failure to write it fails the request (a 500 the
 * caller sees), so an action is never silently unaudited; the action itself stays done.
 */
export async function recordAudit(
  store: Pick<Store, 'recordAudit'>,
  res: Response,
  entry: Omit<AuditEntry, 'actor' | 'requestId'>,
): Promise<void> {
  await store.recordAudit({ ...entry, actor: actorOf(res), requestId: requestIdOf(res) || null });
}
