import { mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileEndpointResolver, parseEndpointMap, replicaFromUrl } from './file-endpoint-resolver.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function mapFile(content: unknown): { path: string; write(next: unknown): void } {
  const dir = mkdtempSync(join(tmpdir(), 'endpoint-map-'));
  dirs.push(dir);
  const path = join(dir, 'map.json');
  const write = (next: unknown): void => {
    writeFileSync(`${path}.tmp`, JSON.stringify(next));
    renameSync(`${path}.tmp`, path);
  };
  write(content);
  return { path, write };
}

describe('parseEndpointMap', () => {
  it('keeps loopback URLs and refuses anything else', () => {
    const { map, refused } = parseEndpointMap(JSON.stringify({ a: ['http://127.0.0.1:1', 'http://10.244.0.5:8000', 7], b: [] }));
    expect(map.get('a')).toEqual(['http://127.0.0.1:1']);
    expect(map.get('b')).toEqual([]);
    expect(refused).toEqual(['a: "http://10.244.0.5:8000"', 'a: 7']);
  });

  it('rejects a file that is not an object of lists', () => {
    expect(() => parseEndpointMap('[]')).toThrow(/JSON object/);
    expect(() => parseEndpointMap('{"a": "http://127.0.0.1:1"}')).toThrow(/list of URLs/);
    expect(() => parseEndpointMap('{')).toThrow();
  });
});

describe('replicaFromUrl', () => {
  it("adds the route's API path to a bare origin", () => {
    expect(replicaFromUrl('http://127.0.0.1:9000', 'http://m-vllm.ns.svc:8000/v1')).toEqual({
      id: 'http://127.0.0.1:9000',
      origin: 'http://127.0.0.1:9000',
      baseURL: 'http://127.0.0.1:9000/v1',
      kind: 'pod',
    });
    expect(replicaFromUrl('http://127.0.0.1:9000/openai/v1/', undefined).baseURL).toBe('http://127.0.0.1:9000/openai/v1');
  });
});

describe('FileEndpointResolver', () => {
  it('answers present, empty or absent, and sees changes to the file', async () => {
    const file = mapFile({ ms: ['http://127.0.0.1:9001'], cold: [] });
    const refused: string[] = [];
    const resolver = new FileEndpointResolver({ path: file.path, refuse: (entry) => refused.push(entry) });
    expect(await resolver.resolve({ name: 'ms', endpoint: undefined })).toEqual({
      state: 'present',
      replicas: [expect.objectContaining({ baseURL: 'http://127.0.0.1:9001/v1' })],
    });
    expect(await resolver.resolve({ name: 'cold', endpoint: undefined })).toEqual({ state: 'present', replicas: [] });
    expect(await resolver.resolve({ name: 'gone', endpoint: undefined })).toEqual({ state: 'absent' });
    file.write({ ms: ['http://127.0.0.1:9001', 'http://127.0.0.1:9002', 'http://192.168.1.2:80'] });
    const after = await resolver.resolve({ name: 'ms', endpoint: undefined });
    expect(after.state === 'present' ? after.replicas.map((r) => r.id) : []).toEqual(['http://127.0.0.1:9001', 'http://127.0.0.1:9002']);
    expect(await resolver.resolve({ name: 'cold', endpoint: undefined })).toEqual({ state: 'absent' });
    // Reported once, however often the file is read.
    await resolver.resolve({ name: 'ms', endpoint: undefined });
    expect(refused).toEqual(['ms: "http://192.168.1.2:80"']);
  });

  it('re-reads at least every second even when the file looks unchanged', async () => {
    let now = 0;
    const file = mapFile({ ms: [] });
    utimesSync(file.path, 1000, 1000);
    const resolver = new FileEndpointResolver({ path: file.path, refuse: () => undefined, now: () => now });
    expect(await resolver.resolve({ name: 'ms', endpoint: undefined })).toEqual({ state: 'present', replicas: [] });
    // Same size and the same modification time: only the age of the cached copy can tell.
    file.write({ xx: [] });
    utimesSync(file.path, 1000, 1000);
    now = 500;
    expect(await resolver.resolve({ name: 'ms', endpoint: undefined })).toEqual({ state: 'present', replicas: [] });
    now = 1500;
    expect(await resolver.resolve({ name: 'ms', endpoint: undefined })).toEqual({ state: 'absent' });
  });

  it('rejects while the file is missing or broken, so the caller keeps what it had', async () => {
    const file = mapFile({ ms: [] });
    const resolver = new FileEndpointResolver({ path: `${file.path}.missing`, refuse: () => undefined });
    await expect(resolver.resolve({ name: 'ms', endpoint: undefined })).rejects.toThrow();
  });
});
