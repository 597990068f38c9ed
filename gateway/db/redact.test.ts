import { describe, expect, it } from 'vitest';
import { DatabaseError, redactSecrets, scrubError } from './redact.ts';

describe('redactSecrets', () => {
  const dsn = 'postgresql://app:p%40ss%2Fw0rd@cluster-rw.db.svc:5432/app?sslmode=require';

  it('removes the DSN, its password raw and decoded, and any URL credentials', () => {
    const text = `could not connect to ${dsn}; password p%40ss%2Fw0rd or p@ss/w0rd; also postgres://other:secret@h/db`;
    const out = redactSecrets(text, dsn);
    expect(out).not.toContain('p%40ss%2Fw0rd');
    expect(out).not.toContain('p@ss/w0rd');
    expect(out).not.toContain('other:secret');
    expect(out).toContain('postgres://***@h/db');
  });

  it('removes keyword-style passwords', () => {
    expect(redactSecrets("host=db password='a b c' user=x")).toBe('host=db password=*** user=x');
    expect(redactSecrets('host=db password=abc user=x')).toBe('host=db password=*** user=x');
  });

  it('leaves text without secrets alone', () => {
    expect(redactSecrets('relation "users" does not exist', dsn)).toBe('relation "users" does not exist');
  });
});

describe('scrubError', () => {
  it('keeps the code, prefixes the context and drops everything else', () => {
    const original = Object.assign(new TypeError('Invalid URL'), { code: 'ERR_INVALID_URL', input: 'postgresql://u:pw@x' });
    const scrubbed = scrubError(original, { dsn: 'postgresql://u:pw@x', context: 'connecting' });
    expect(scrubbed).toBeInstanceOf(DatabaseError);
    expect(scrubbed.message).toBe('connecting: Invalid URL');
    expect(scrubbed.code).toBe('ERR_INVALID_URL');
    expect(JSON.stringify(scrubbed)).not.toContain('pw');
    expect(scrubbed.cause).toBeUndefined();
  });

  it('accepts non-errors', () => {
    expect(scrubError('postgres://u:pw@h/db down').message).toBe('postgres://***@h/db down');
  });
});
