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

export function makeLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, base: { component: 'perpetual-operator' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    destination,
  );
}
