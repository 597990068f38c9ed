// Test-only discovery (ENDPOINT_MAP_FILE): a JSON file {"<modelServer>": ["http://127.0.0.1:<port>",
// ...]} that a test rewrites as it starts and stops simulators. A name that is missing means the
// ModelServer is gone; an empty list means it exists with no replica (scaled to zero). The file is
// re-read when it changes and at least every second. Only loopback addresses are accepted, so a
// test can never send traffic to a simulated pod IP.
import { readFile, stat } from 'node:fs/promises';
import { apiPath, type EndpointResolver, type ModelServerRef, type ReplicaAddress, type Resolution } from './endpoint-resolver.ts';
import { isLoopbackUrl } from './loopback.ts';

const MAX_AGE_MS = 1000;

type EndpointMap = ReadonlyMap<string, readonly string[]>;

/** Parses the file; entries that are not loopback URLs are left out and listed in `refused`. */
export function parseEndpointMap(text: string): { map: EndpointMap; refused: string[] } {
  const parsed: unknown = JSON.parse(text);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error('ENDPOINT_MAP_FILE must hold a JSON object of ModelServer name to URL list');
  const map = new Map<string, string[]>();
  const refused: string[] = [];
  for (const [name, urls] of Object.entries(parsed as Record<string, unknown>)) {
    if (!Array.isArray(urls)) throw new Error(`ENDPOINT_MAP_FILE: "${name}" must be a list of URLs`);
    const accepted: string[] = [];
    for (const url of urls as unknown[]) {
      if (typeof url === 'string' && isLoopbackUrl(url)) accepted.push(url);
      else refused.push(`${name}: ${JSON.stringify(url)}`);
    }
    map.set(name, accepted);
  }
  return { map, refused };
}

/** One replica per listed URL; a URL without a path gets the route's API path. */
export function replicaFromUrl(value: string, endpoint: string | undefined): ReplicaAddress {
  const url = new URL(value);
  const path = url.pathname.replace(/\/+$/, '');
  return { id: url.origin, origin: url.origin, baseURL: url.origin + (path === '' ? apiPath(endpoint) : path), kind: 'pod' };
}

export class FileEndpointResolver implements EndpointResolver {
  readonly #path: string;
  readonly #refuse: (entry: string) => void;
  readonly #refused = new Set<string>();
  readonly #now: () => number;
  #cache: { mtimeMs: number; size: number; readAt: number; map: EndpointMap } | undefined;
  #loading: Promise<EndpointMap> | undefined;

  /** `refuse` hears about each non-loopback entry once. */
  constructor(options: { path: string; refuse: (entry: string) => void; now?: () => number }) {
    this.#path = options.path;
    this.#refuse = options.refuse;
    this.#now = options.now ?? Date.now;
  }

  async resolve(server: ModelServerRef): Promise<Resolution> {
    // Pools resolve concurrently; one read serves them all.
    this.#loading ??= this.#load().finally(() => {
      this.#loading = undefined;
    });
    const urls = (await this.#loading).get(server.name);
    if (urls === undefined) return { state: 'absent' };
    return { state: 'present', replicas: urls.map((url) => replicaFromUrl(url, server.endpoint)) };
  }

  async #load(): Promise<EndpointMap> {
    const info = await stat(this.#path);
    const now = this.#now();
    const cached = this.#cache;
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size && now - cached.readAt < MAX_AGE_MS) return cached.map;
    const { map, refused } = parseEndpointMap(await readFile(this.#path, 'utf8'));
    for (const entry of refused) {
      if (this.#refused.has(entry)) continue;
      this.#refused.add(entry);
      this.#refuse(entry);
    }
    this.#cache = { mtimeMs: info.mtimeMs, size: info.size, readAt: now, map };
    return map;
  }
}
