import { describe, expect, it } from 'vitest';
import { makeLogger } from './logger.ts';

describe('makeLogger', () => {
  it('writes levels as words and ISO timestamps, and censors secrets', () => {
    const lines: string[] = [];
    const log = makeLogger('info', {
      write: (line: string) => {
        lines.push(line);
      },
    });
    log.warn({ apiKey: 'sk-secret-value', headers: { authorization: 'Bearer x' } }, 'hello');
    const entry = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 'warn', component: 'perpetual-gateway', msg: 'hello', apiKey: '[redacted]' });
    expect(entry.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(lines[0]).not.toContain('sk-secret-value');
  });
});
