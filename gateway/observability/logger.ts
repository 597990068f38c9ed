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

export function makeLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { component: 'perpetual-gateway' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination);
}
