import { describe, expect, it } from 'vitest';
import { readEnv, readVariables } from './read-env.ts';

describe('readEnv', () => {
  it('fills every default, so what config.ts reads is always there', () => {
    const env = readEnv({});
    expect(env).toMatchObject({
      API_PORT: 8000,
      DEBUG: false,
      CORS_ALLOWED_ORIGINS: [],
      RATE_LIMIT_ON_REDIS_DOWN: 'allow',
      API_KEY_STALE_MS: 900_000,
      VLLM_URL: 'http://localhost:8000/v1',
    });
    expect(env.MODE).toBeUndefined(); // the file's mode applies when the variable is unset
  });

  it('ignores variables the gateway does not read, whatever they hold', () => {
    expect(() => readEnv({ HOME: '', PATH: ':::', NODE_OPTIONS: '--x', API_PORT_X: 'eighty' })).not.toThrow();
  });

  it('checks <PROVIDER>_BASE_URL variables by their pattern', () => {
    expect(readEnv({ GROQ_BASE_URL: 'http://127.0.0.1:9/v1' })).toMatchObject({ GROQ_BASE_URL: 'http://127.0.0.1:9/v1' });
    expect(() => readEnv({ GROQ_BASE_URL: '127.0.0.1:9' })).toThrow('GROQ_BASE_URL must be an http(s) URL');
  });

  it('asks for what a command requires, with how to make it', () => {
    expect(() => readEnv({}, ['API_KEY_ENCRYPTION_KEY'])).toThrow(
      /^API_KEY_ENCRYPTION_KEY is required: one or more Fernet keys, comma-separated; generate one with `python3 -c/,
    );
  });
});

describe('readVariables', () => {
  it('checks only the variables a command reads, so migrate is not stopped by a serve setting', () => {
    const env = readVariables({ DATABASE_URL: ' postgres://u@db/app ', MODE: 'test', API_PORT: 'eighty' }, { required: ['DATABASE_URL'] });
    expect(env).toEqual(expect.objectContaining({ DATABASE_URL: 'postgres://u@db/app' }));
  });

  it('names a missing required variable, and a wrong optional one', () => {
    expect(() => readVariables({ MODE: 'test' }, { required: ['DATABASE_URL'] })).toThrow(
      'DATABASE_URL is required: a PostgreSQL connection string.',
    );
    expect(() => readVariables({ LOG_LEVEL: 'loud' }, { optional: ['LOG_LEVEL'] })).toThrow(
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud".',
    );
    expect(readVariables({ LOG_LEVEL: 'Debug' }, { optional: ['LOG_LEVEL'] }).LOG_LEVEL).toBe('debug');
  });
});
