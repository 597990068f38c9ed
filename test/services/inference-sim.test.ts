// The vLLM stand-in speaks OpenAI's API and vLLM's metrics offline, and can simulate a slow weight load.
import { afterAll, describe, expect, it } from 'vitest';
import { startInferenceSim, type InferenceSim } from '../harness/inference-sim.ts';

const started: InferenceSim[] = [];
afterAll(async () => {
  await Promise.all(started.map((sim) => sim.stop()));
});

async function sim(options: Parameters<typeof startInferenceSim>[0] = {}): Promise<InferenceSim> {
  const s = await startInferenceSim(options);
  started.push(s);
  return s;
}

describe('llm-d-inference-sim', () => {
  it('answers chat completions with usage, and lists its model', async () => {
    const s = await sim();
    const models = (await (await fetch(`${s.url}/v1/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual([s.model]);
    const response = await fetch(`${s.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: s.model, messages: [{ role: 'user', content: 'remember the blue door' }] }),
    });
    const body = (await response.json()) as { choices: { message: { content: string } }[]; usage: { total_tokens: number } };
    expect(body.choices[0]?.message.content).toBe('remember the blue door');
    expect(body.usage.total_tokens).toBeGreaterThan(0);
  });

  it('exports the vLLM gauges the autoscaler reads, with forced values', async () => {
    const s = await sim({ fakeMetrics: { 'running-requests': 7, 'waiting-requests': 3, 'kv-cache-usage': 0.5 } });
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/^vllm:num_requests_running\{[^}]*\} 7$/m);
    expect(metrics).toMatch(/^vllm:num_requests_waiting\{[^}]*\} 3$/m);
    expect(metrics).toMatch(/^vllm:kv_cache_usage_perc\{[^}]*\} 0\.5$/m);
  });

  it('reports not ready while it "loads weights"', async () => {
    const s = await sim({ startupSeconds: 30 });
    expect((await fetch(`${s.url}/health/ready`)).status).toBe(503);
  });
});
