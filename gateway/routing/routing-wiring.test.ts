import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { makeMetrics } from '../observability/metrics.ts';
import { createRouting, modelServersOf } from './routing-wiring.ts';

const KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';

describe('modelServersOf', () => {
  it("lists each ModelServer the routes name once, with its replicas' DNS name, and nothing for provider routes", () => {
    const models = [
      {
        name: 'a',
        upstreamModel: 'a',
        modelServer: 'ms-a',
        endpoint: 'http://ms-a-vllm.ns.svc:8000/v1',
        replicasHost: 'ms-a-vllm-pods.ns.svc',
      },
      { name: 'a-alias', upstreamModel: 'a', modelServer: 'ms-a', endpoint: 'http://ms-a-vllm.ns.svc:8000/v1' },
      { name: 'b', upstreamModel: 'b', modelServer: 'ms-b', endpoint: 'http://ms-b-vllm.ns.svc:8000/v1' },
      { name: 'gpt', upstreamModel: 'gpt', provider: 'openai' },
      { name: 'guide', upstreamModel: 'guide', endpoint: 'http://localhost:8000/v1' },
    ];
    expect(modelServersOf({ models })).toEqual([
      { name: 'ms-a', endpoint: 'http://ms-a-vllm.ns.svc:8000/v1', replicasHost: 'ms-a-vllm-pods.ns.svc' },
      { name: 'ms-b', endpoint: 'http://ms-b-vllm.ns.svc:8000/v1', replicasHost: undefined },
    ]);
  });
});

describe('createRouting', () => {
  it('builds nothing when no route names a ModelServer', () => {
    expect(
      createRouting({ config: loadConfig({ API_KEY_ENCRYPTION_KEY: KEY }), metrics: makeMetrics(), log: pino({ level: 'silent' }) }),
    ).toBeUndefined();
  });
});
