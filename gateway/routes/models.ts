// GET /v1/models: the models this gateway serves, in OpenAI's list shape. In proxy mode any
// provider model is also reachable by name; only the configured ones are listed.
import type { Request, Response } from 'express';
import type { GatewayConfig } from '../config.ts';

export function modelsRoute(config: Pick<GatewayConfig, 'models' | 'mode'>, startedAt: number) {
  const created = Math.floor(startedAt / 1000);
  const data = config.models.map((m) => ({
    id: m.name,
    object: 'model' as const,
    created,
    owned_by: m.provider ?? (m.modelServer ? `modelserver/${m.modelServer}` : 'perpetual'),
  }));
  return (_req: Request, res: Response): void => {
    res.json({ object: 'list', data });
  };
}
