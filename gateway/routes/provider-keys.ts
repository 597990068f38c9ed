// The user's own provider keys (BYOK): POST /v1/provider-keys/add exactly as in the guide, a
// masked list, and delete. Keys are encrypted with Fernet before they reach PostgreSQL and are
// never returned, logged or echoed in errors; only the last four characters are shown.
import { Router, type Request, type Response } from 'express';
import { recordAudit } from '../audit/record.ts';
import type { KeyRing } from '../crypto/key-ring.ts';
import { badRequest, notFound } from '../errors.ts';
import { principalOf } from '../middleware/authenticate.ts';
import { pathParam } from './path-param.ts';
import { bodyCheck } from '../protocols/body-check.ts';
import { AddProviderKeyRequest } from '../protocols/perpetual/request-schemas.ts';
import type { Store } from '../store.ts';

const checkAddKey = bodyCheck<Record<string, unknown>>(AddProviderKeyRequest, { path: 'dots' });
/** Once trimmed and lower-cased (the schema checks the string it arrives as). */
const PROVIDER_NAME = /^[a-z0-9][a-z0-9_-]{1,31}$/;

function validProvider(value: unknown, param = 'provider'): string {
  const provider = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (!PROVIDER_NAME.test(provider))
    throw badRequest('"provider" must be a provider name such as openai, anthropic, groq, together or mistral.', 'invalid_provider', param);
  return provider;
}

function validKey(value: unknown): string {
  if (typeof value !== 'string' || value.trim().length < 8 || value.length > 4096 || /\s/.test(value.trim())) {
    throw badRequest('"api_key" must be the provider API key: 8 to 4096 characters, no spaces.', 'invalid_api_key_value', 'api_key');
  }
  return value.trim();
}

export function keyHint(key: string): string {
  return `...${key.slice(-4)}`;
}

export interface ProviderKeyRouteDeps {
  store: Store;
  keyRing: KeyRing;
  /** Called after a change so cached decrypted keys are dropped. */
  changed: (userId: string, provider: string) => void;
}

export function providerKeysRouter(deps: ProviderKeyRouteDeps): Router {
  const router = Router();
  router.post('/add', async (req: Request, res: Response) => {
    const { userId } = principalOf(res);
    const body = checkAddKey(req.body ?? {});
    const provider = validProvider(body.provider);
    const key = validKey(body.api_key);
    const stored = await deps.store.upsertProviderKey({ userId, provider, encryptedKey: deps.keyRing.encrypt(key), hint: keyHint(key) });
    deps.changed(userId, provider);
    await recordAudit(deps.store, res, { action: 'provider_key.added', targetUser: userId, target: provider });
    res.status(201).json({ status: 'success', provider, key_hint: stored.hint, message: `API key for ${provider} stored encrypted.` });
  });
  router.get('/', async (_req: Request, res: Response) => {
    const keys = await deps.store.listProviderKeys(principalOf(res).userId);
    res.json({
      object: 'list',
      data: keys.map((k) => ({ provider: k.provider, key_hint: k.hint, created_at: k.createdAt, updated_at: k.updatedAt })),
    });
  });
  router.delete('/:provider', async (req: Request, res: Response) => {
    const { userId } = principalOf(res);
    const provider = validProvider(pathParam(req, 'provider'));
    if (!(await deps.store.deleteProviderKey(userId, provider)))
      throw notFound(`No key stored for provider "${provider}".`, 'provider_key_not_found', 'provider');
    deps.changed(userId, provider);
    await recordAudit(deps.store, res, { action: 'provider_key.removed', targetUser: userId, target: provider });
    res.json({ provider, deleted: true });
  });
  return router;
}
