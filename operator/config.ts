// Operator settings, from the environment, validated at start with errors that name the variable.
import { hostname } from 'node:os';

export interface OperatorConfig {
  kubeconfig: string | undefined;
  /** Reconciles run in parallel per controller (one key never runs twice at once). */
  concurrency: number;
  /** Every object is reconciled again this often, even without events. */
  resyncMs: number;
  leaderElection: {
    enabled: boolean;
    namespace: string;
    name: string;
    identity: string;
    leaseDurationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
  };
  http: { host: string; port: number };
  logLevel: string;
  images: { gateway: string };
  /** The namespace the operator runs in: the NetworkPolicies it generates let its pods there read metrics. */
  namespace: string;
  /**
   * The namespaces whose objects the operator watches and reconciles (WATCH_NAMESPACES, a comma
   * list); empty: every namespace. With a list, every list and watch is namespaced, so Roles in
   * those namespaces are all the RBAC it needs (no ClusterRole).
   */
  watchNamespaces: string[];
  /** Requeue delay while children are still becoming ready (watches usually come first). */
  waitingRequeueMs: number;
  autoscaler: {
    /** How often the built-in autoscaler reads metrics and decides (at most 10 s). */
    intervalMs: number;
    /** Tests only: a JSON file mapping namespace/pod to a loopback URL, instead of pod IPs. */
    endpointMapFile: string | undefined;
  };
}

/** A load step must be seen within this long, whatever the configuration says. */
export const MAX_AUTOSCALER_INTERVAL_MS = 10_000;

export const OPERATOR_VERSION = '0.1.0';

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${String(min)}, got "${raw}"`);
  return value;
}

function integerInRange(env: NodeJS.ProcessEnv, name: string, fallback: number, range: { min: number; max: number }): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw new Error(`${name} must be an integer from ${String(range.min)} to ${String(range.max)}, got "${raw}"`);
  }
  return value;
}

/** A namespace name: a DNS-1123 label. */
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function namespaceList(env: NodeJS.ProcessEnv, name: string): string[] {
  const names = (env[name] ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const bad = names.find((n) => !NAMESPACE_NAME.test(n));
  if (bad !== undefined) throw new Error(`${name} must be a comma-separated list of namespace names, got "${bad}"`);
  return [...new Set(names)];
}

function boolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw !== 'true' && raw !== 'false') throw new Error(`${name} must be true or false, got "${raw}"`);
  return raw === 'true';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  const leaseDurationMs = integer(env, 'LEADER_ELECTION_LEASE_DURATION_MS', 15_000, 1000);
  const renewDeadlineMs = integer(env, 'LEADER_ELECTION_RENEW_DEADLINE_MS', 10_000, 500);
  if (renewDeadlineMs >= leaseDurationMs)
    throw new Error('LEADER_ELECTION_RENEW_DEADLINE_MS must be less than LEADER_ELECTION_LEASE_DURATION_MS');
  return {
    kubeconfig: env.KUBECONFIG || undefined,
    concurrency: integer(env, 'CONCURRENCY', 4, 1),
    resyncMs: integer(env, 'RESYNC_SECONDS', 300, 1) * 1000,
    leaderElection: {
      enabled: boolean(env, 'LEADER_ELECTION', true),
      namespace: env.LEADER_ELECTION_NAMESPACE || env.POD_NAMESPACE || 'perpetual-system',
      name: 'perpetual-operator',
      identity: env.POD_NAME || `${hostname()}-${String(process.pid)}`,
      leaseDurationMs,
      renewDeadlineMs,
      retryPeriodMs: integer(env, 'LEADER_ELECTION_RETRY_PERIOD_MS', 2000, 100),
    },
    http: { host: env.HTTP_HOST || '0.0.0.0', port: integer(env, 'HTTP_PORT', 8080, 0) },
    logLevel: env.LOG_LEVEL || 'info',
    images: { gateway: env.GATEWAY_IMAGE || `ghcr.io/perpetual-ai/perpetual-gateway:${OPERATOR_VERSION}` },
    namespace: env.POD_NAMESPACE || 'perpetual-system',
    watchNamespaces: namespaceList(env, 'WATCH_NAMESPACES'),
    waitingRequeueMs: integer(env, 'WAITING_REQUEUE_MS', 30_000, 100),
    autoscaler: {
      intervalMs: integerInRange(env, 'AUTOSCALER_INTERVAL_MS', 5000, { min: 100, max: MAX_AUTOSCALER_INTERVAL_MS }),
      endpointMapFile: env.ENDPOINT_MAP_FILE || undefined,
    },
  };
}
