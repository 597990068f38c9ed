// Tier budgets from the PerpetualDeployment to the gateway: the operator writes spec.tiers.<tier>.budget
// into the gateway file, and the gateway's own loader reads it back as each tier's budget (the
// file schema accepts it; a tier without one has none).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../gateway/config.ts';
import { defaultedPerpetualDeployment } from '../../api/v1alpha1/defaults.ts';
import { goldenBase } from '../../api/v1alpha1/testdata/golden-specs.ts';
import { gatewayConfigFile } from './children/gateway.ts';

describe('tier budgets in the gateway file', () => {
  it('reach the gateway as each tier budget, with the tier token limits beside them', () => {
    const budget = { dailyUsd: 2.5, monthlyUsd: 40, lifetimeUsd: 100, softLimitPercent: 75 };
    const pd = defaultedPerpetualDeployment(
      { name: 'app', namespace: 'prod' },
      { ...goldenBase, mode: 'proxy', models: [], tiers: { pro: { tokensPerDay: 50_000, budget } } },
    );
    const path = join(mkdtempSync(join(tmpdir(), 'tier-budget-')), 'config.yaml');
    writeFileSync(path, gatewayConfigFile(pd, new Map()));
    const config = loadConfig({ API_KEY_ENCRYPTION_KEY: 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=', PERPETUAL_CONFIG: path });
    expect(config.tiers.pro).toEqual({ requestsPerMinute: 60, requestsPerDay: 10_000, tokensPerDay: 50_000, budget });
    expect(config.tiers.free.budget).toBeUndefined();
  });
});
