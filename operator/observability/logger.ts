// Structured JSON logs (pino). Secret-bearing fields are redacted wherever they appear.
import { pino, type Logger } from 'pino';

/** Paths pino censors in every log line; tests assert that secrets never reach the output. */
export const REDACTED_PATHS = [
  '*.token',
  '*.password',
  '*.apiKey',
  '*.dsn',
  '*.uri',
  '*.authorization',
  '*.headers.authorization',
  '*.data',
  '*.stringData',
];

/**
 * Levels as words (`"level":"info"`, what Loki, Elasticsearch and Cloud Logging match on, rather
 * than pino's numbers) and ISO 8601 timestamps (`"time":"2026-12-03T16:20:00.000Z"`).
 */
const READABLE = { formatters: { level: (label: string) => ({ level: label }) }, timestamp: pino.stdTimeFunctions.isoTime };

export function makeLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, base: { component: 'perpetual-operator' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, ...READABLE },
    destination,
  );
}
