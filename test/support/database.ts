// Test isolation on the shared PostgreSQL and Redis: each caller gets a database of its own and
// a Redis key prefix of its own, so test files can run in parallel without seeing each other.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Creates an empty database on the server at `serverUrl` and returns its URL. */
export async function freshDatabase(serverUrl: string, label = 'test'): Promise<string> {
  const name = `${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A Redis key prefix no other test uses, e.g. "t-1a2b3c4d:". */
export function freshKeyPrefix(): string {
  return `t-${randomBytes(4).toString('hex')}:`;
}
