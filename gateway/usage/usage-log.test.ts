import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { classifyPostgresError, logUnwrittenUsage } from './usage-log.ts';
import type { UsageRecord } from './usage-record.ts';

/** The shape node-postgres gives a server error. */
function serverError(code: string): Error {
  return Object.assign(new Error('server said no'), { code, severity: 'ERROR' });
}

describe('classifyPostgresError', () => {
  it('isolates rows the database refuses for what they are', () => {
    for (const code of ['23503', '23502', '22003', '22P02']) {
      expect(classifyPostgresError(serverError(code))).toMatchObject({ retryable: false, itemSpecific: true });
    }
  });

  it('retries everything that can heal: connection loss, shutdown, a missing table before migration', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', errno: -111 });
    for (const err of [
      refused,
      new Error('Connection terminated unexpectedly'),
      serverError('57P01'),
      serverError('53300'),
      serverError('42P01'),
      serverError('40001'),
    ]) {
      expect(classifyPostgresError(err).retryable).toBe(true);
    }
    expect(classifyPostgresError(Object.assign(new Error('broken pipe'), { code: 'EPIPE' })).retryable).toBe(true);
  });

  it("classifies the database layer's scrubbed errors by code alone, and keeps credentials out of the message", () => {
    const scrubbed = Object.assign(new Error('insert or update violates foreign key constraint'), { code: '23503' });
    expect(classifyPostgresError(scrubbed)).toMatchObject({ retryable: false, itemSpecific: true });
    const leaky = new Error('could not connect to postgresql://gateway:hunter2@db:5432/app');
    expect(classifyPostgresError(leaky).message).not.toContain('hunter2');
  });
});

describe('logUnwrittenUsage', () => {
  it('puts every unwritten row in the log, whole and replayable, in chunks', () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      {
        write: (line: string) => {
          lines.push(line);
        },
      },
    );
    const rows = Array.from(
      { length: 5 },
      (_, i) => ({ requestId: `req-${String(i)}`, userId: 'u', timestamp: new Date(0) }) as unknown as UsageRecord,
    );
    logUnwrittenUsage(logger, rows, 2);
    expect(lines).toHaveLength(3);
    const replayed = lines.flatMap((l) =>
      (JSON.parse(l) as { unwrittenUsage: { requestId: string }[] }).unwrittenUsage.map((r) => r.requestId),
    );
    expect(replayed).toEqual(['req-0', 'req-1', 'req-2', 'req-3', 'req-4']);
  });
});
