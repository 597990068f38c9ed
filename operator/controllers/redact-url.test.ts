import { describe, expect, it } from 'vitest';
import { redactUrl } from './redact-url.ts';

describe('redactUrl', () => {
  it.each([
    { name: 'user and password', url: 'https://user:s3cret@xyz.cloud.qdrant.io:6333', expected: 'https://***@xyz.cloud.qdrant.io:6333' },
    { name: 'a user alone (often a token)', url: 'https://tok3n@qdrant.example/', expected: 'https://***@qdrant.example/' },
    { name: 'a Redis password', url: 'rediss://:s3cret@redis.example:6380/0', expected: 'rediss://***@redis.example:6380/0' },
    { name: 'an @ in the password', url: 'redis://default:p@ss@redis.example:6379', expected: 'redis://***@redis.example:6379' },
    { name: 'an @ in the path is not userinfo', url: 'https://qdrant.example/models/m@v1', expected: 'https://qdrant.example/models/m@v1' },
    {
      name: 'credential query parameters',
      url: 'https://q.example/?api_key=s3cret&region=eu&access_token=t0k',
      expected: 'https://q.example/?api_key=***&region=eu&access_token=***',
    },
    {
      name: 'a password parameter and a fragment',
      url: 'https://q.example/path?Password=s3cret#top',
      expected: 'https://q.example/path?Password=***#top',
    },
    { name: 'both', url: 'https://u:s3cret@q.example/?token=t0k', expected: 'https://***@q.example/?token=***' },
    {
      name: 'unparsable, with a raw / in the password',
      url: 'redis://user:pa/ss@redis.example:6379',
      expected: 'redis://***@redis.example:6379',
    },
    { name: 'unparsable port, no credentials', url: 'redis://redis.example:port', expected: 'redis://redis.example:port' },
    {
      name: 'nothing to redact, written as is (no trailing slash added)',
      url: 'https://xyz.cloud.qdrant.io:6333',
      expected: 'https://xyz.cloud.qdrant.io:6333',
    },
    { name: 'not a URL', url: 'openai', expected: 'openai' },
  ])('$name', ({ url, expected }) => {
    expect(redactUrl(url)).toBe(expected);
    expect(redactUrl(url)).not.toMatch(/s3cret|t0k|tok3n/);
  });
});
