// Test-only address maps may name loopback addresses only: the simulated cluster's pod and Service
// IPs are not real, and a test must never dial them (DESIGN.md, "Test tiers").
import { isIPv4 } from 'node:net';

/** True for http(s) URLs on 127.0.0.0/8, ::1 or localhost. */
export function isLoopbackUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const host = url.hostname;
  if (host === 'localhost' || host === '[::1]') return true;
  return isIPv4(host) && host.startsWith('127.');
}
