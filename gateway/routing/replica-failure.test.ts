import { describe, expect, it } from 'vitest';
import { GatewayError, badRequest } from '../errors.ts';
import { clientClosed, mapTransportError, mapUpstreamFailure } from '../providers/transport/upstream-errors.ts';
import { isReplicaFailure } from './replica-failure.ts';

describe('isReplicaFailure', () => {
  it('is true for failures before the replica answered', () => {
    expect(
      isReplicaFailure(mapTransportError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), 'vllm', '10.0.0.1:8000')),
    ).toBe(true);
    expect(isReplicaFailure(mapTransportError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), 'vllm', '10.0.0.1:8000'))).toBe(
      true,
    );
    expect(
      isReplicaFailure(mapTransportError(Object.assign(new Error('slow'), { code: 'UND_ERR_CONNECT_TIMEOUT' }), 'vllm', '10.0.0.1:8000')),
    ).toBe(true);
    expect(isReplicaFailure(mapUpstreamFailure({ provider: 'vllm', status: 503 }))).toBe(true);
  });

  it('is false for answers about the request, server errors and a client that left', () => {
    expect(isReplicaFailure(mapUpstreamFailure({ provider: 'vllm', status: 400, message: 'max_tokens too large' }))).toBe(false);
    expect(isReplicaFailure(mapUpstreamFailure({ provider: 'vllm', status: 500 }))).toBe(false);
    expect(isReplicaFailure(clientClosed())).toBe(false);
    expect(isReplicaFailure(badRequest('no'))).toBe(false);
    expect(isReplicaFailure(new Error('boom'))).toBe(false);
    expect(isReplicaFailure(new GatewayError('x', { status: 502, type: 'upstream_error', code: 'upstream_bad_response' }))).toBe(false);
  });
});
