// A real Qdrant server on loopback, from the binary built from Qdrant's source that sits beside
// the repository (../shared/qdrant/qdrant, or QDRANT_BINARY). Where there is none, callers fall
// back to the in-repo emulator and say so: the contract suite is what keeps the two alike.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, REPO_ROOT, startProcess, waitFor } from './processes.ts';

/** The Qdrant server binary, if one is beside the repository. */
export function qdrantServerBinary(): string | undefined {
  return [process.env.QDRANT_BINARY ?? '', join(REPO_ROOT, '../shared/qdrant/qdrant')].find((p) => p !== '' && existsSync(p));
}

export interface QdrantServer {
  url: string;
  apiKey: string;
  stop(): Promise<void>;
}

/** Starts the server with a private storage directory and a generated API key; undefined without a binary. */
export async function startQdrantServer(): Promise<QdrantServer | undefined> {
  const command = qdrantServerBinary();
  if (!command) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'perpetual-qdrant-'));
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const apiKey = randomBytes(16).toString('hex');
  const service = startProcess({
    name: 'qdrant',
    command,
    args: [],
    logDir: dir,
    // Qdrant writes a marker file (.qdrant-initialized) into its working directory.
    cwd: dir,
    env: {
      QDRANT__SERVICE__HOST: '127.0.0.1',
      QDRANT__SERVICE__HTTP_PORT: String(httpPort),
      QDRANT__SERVICE__GRPC_PORT: String(grpcPort),
      QDRANT__STORAGE__STORAGE_PATH: join(dir, 'storage'),
      QDRANT__STORAGE__SNAPSHOTS_PATH: join(dir, 'snapshots'),
      QDRANT__SERVICE__API_KEY: apiKey,
      QDRANT__TELEMETRY_DISABLED: 'true',
    },
  });
  const url = `http://127.0.0.1:${String(httpPort)}`;
  await waitFor('qdrant', async () => (await fetch(`${url}/readyz`, { headers: { 'api-key': apiKey } })).ok, {
    timeoutMs: 20_000,
    service,
  });
  return {
    url,
    apiKey,
    stop: async () => {
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
