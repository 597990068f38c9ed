// Structured JSON logs (pino) with every secret-bearing field censored wherever it appears.
// Request logs carry a request id; nothing logs request or response bodies.
import { pino, type DestinationStream, type Logger } from 'pino';

/** Paths pino censors in every log line; tests scan captured logs for the secrets themselves. */
export const REDACTED_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
  '*.headers["x-admin-token"]',
  'apiKey',
  '*.apiKey',
  'api_key',
  '*.api_key',
  'token',
  '*.token',
  'password',
  '*.password',
  'databaseUrl',
  '*.databaseUrl',
  'dsn',
  '*.dsn',
  'encryptedKey',
  '*.encryptedKey',
];

/**
 * Levels as words (`"level":"info"`, what Loki, Elasticsearch and Cloud Logging match on, rather
 * than pino's numbers) and ISO 8601 timestamps (`"time":"2026-12-03T16:20:00.000Z"`).
 */
const READABLE = { formatters: { level: (label: string) => ({ level: label }) }, timestamp: pino.stdTimeFunctions.isoTime };

export function makeLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    { level, base: { component: 'perpetual-gateway' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, ...READABLE },
    destination,
  );
}
