import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.ts';
import { keyLookupFailure } from './database-unavailable.ts';

describe('keyLookupFailure', () => {
  it('turns an unreachable database into a 503 with Retry-After that says what to do', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:5432'), { code: 'ECONNREFUSED' });
    const answer = keyLookupFailure(err, 'Cannot check this API key right now');
    expect(answer).toBeInstanceOf(GatewayError);
    const gatewayError = answer as GatewayError;
    expect(gatewayError).toMatchObject({
      status: 503,
      type: 'service_unavailable_error',
      code: 'database_unavailable',
      headers: { 'Retry-After': '5' },
    });
    expect(gatewayError.message).toBe(
      "Cannot check this API key right now: the gateway cannot reach its database (PostgreSQL). Retry after 5 s; if this lasts, the gateway's operators should check the database (GET /health reports it).",
    );
    // Where the database lives is none of the client's business.
    expect(JSON.stringify(gatewayError.toJSON())).not.toContain('10.1.2.3');
  });

  it('leaves any other failure as it is, to be logged and answered as the bug it is', () => {
    const bug = new TypeError('Cannot read properties of undefined');
    expect(keyLookupFailure(bug, 'Cannot check this API key right now')).toBe(bug);
  });
});
