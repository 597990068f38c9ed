import { describe, expect, it } from 'vitest';
import { IMAGE_REFERENCE_PATTERN } from './schema-helpers.ts';

describe('IMAGE_REFERENCE_PATTERN', () => {
  const pattern = new RegExp(IMAGE_REFERENCE_PATTERN);

  it.each([
    'redis',
    'redis:7.4-alpine',
    'vllm/vllm-openai:v0.11.0',
    'qdrant/qdrant:v1.19.0',
    'ghcr.io/acme/perpetual-gateway:v9',
    'perpetual.local/gateway:0.1.0-3f9a2c1d',
    'localhost:5000/team/gateway',
    'registry.example:5000/team/gateway@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    'docker.io/library/redis:7.4-alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  ])('accepts %s', (reference) => {
    expect(reference).toMatch(pattern);
  });

  it.each([
    ['whitespace', 'vllm/vllm-openai: v0.11.0'],
    ['a trailing newline', 'redis:7.4\n'],
    ['only spaces', '   '],
    ['an upper-case path', 'vllm/VLLM-openai:v0.11.0'],
    ['an empty tag', 'redis:'],
    ['a short digest', 'redis@sha256:abc'],
    ['a scheme', 'https://ghcr.io/acme/gateway:v1'],
    ['a tag longer than 128 characters', `redis:${'a'.repeat(129)}`],
  ])('refuses %s', (_name, reference) => {
    expect(reference).not.toMatch(pattern);
  });
});
