// The migration files shipped beside this module: `NNN-name.sql`, applied in version order.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';

export interface Migration {
  /** The NNN of the file name. */
  version: number;
  /** The file name without version and extension, e.g. "guide-schema". */
  name: string;
  sql: string;
  /** SHA-256 of the SQL with line endings normalized, so a CRLF checkout is not "changed". */
  checksum: string;
}

const FILE_NAME = /^(\d{3})-([a-z0-9][a-z0-9-]*)\.sql$/;

export const MIGRATIONS_DIRECTORY = new URL('./migrations/', import.meta.url);

/** Every migration in `directory`, ordered by version. Stray or duplicate versions are refused. */
export async function loadMigrations(directory: URL = MIGRATIONS_DIRECTORY): Promise<Migration[]> {
  const files = (await readdir(directory)).filter((file) => file.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE_NAME.exec(file);
    if (!match?.[1] || !match[2]) throw new Error(`migration file "${file}" is not named NNN-name.sql`);
    const sql = (await readFile(new URL(file, directory), 'utf8')).replace(/\r\n/g, '\n');
    const version = Number(match[1]);
    if (migrations.some((m) => m.version === version)) throw new Error(`two migration files have version ${match[1]}`);
    migrations.push({ version, name: match[2], sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return migrations;
}
