// The route table against the routes Express really registers: the app is built around stubs
// (nothing is called; only the routers' shape is read), and every method and path it serves must
// have its row in the table, and every row its route.
import type { Express } from 'express';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { createApp, type AppDeps } from '../server.ts';
import { gatewayRoutes } from './route-table.ts';

/** Anything at all: a function (a middleware) whose every property is another such stub. */
function stub(): unknown {
  const fn = (): void => undefined;
  return new Proxy(fn, { get: (target, key): unknown => (key in target ? (Reflect.get(target, key) as unknown) : stub()) });
}

interface Layer {
  rawPath?: string | string[];
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
}

/** `/users/:id`, `/*id` → `/users/{id}`, `/{id}` (OpenAPI's templates). */
function openApiPath(path: string): string {
  const templated = path.replace(/[:*](\w+)/g, '{$1}').replace(/\/+/g, '/');
  return templated.length > 1 ? templated.replace(/\/$/, '') : templated;
}

function routesOf(stack: Layer[], prefix: string): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const paths = ([] as string[]).concat(layer.route.path);
      const methods = Object.keys(layer.route.methods).filter((m) => m !== '_all');
      return paths.flatMap((path) => methods.map((method) => `${method} ${openApiPath(prefix + path)}`));
    }
    // A router has a stack; a middleware (a stub here, whose every property is a stub) has none.
    const inner = layer.handle.stack;
    if (!Array.isArray(inner)) return [];
    return ([] as string[]).concat(layer.rawPath ?? '').flatMap((path) => routesOf(inner, prefix + (path === '/' ? '' : path)));
  });
}

function registered(app: Express): string[] {
  return [...new Set(routesOf((app as unknown as { router: { stack: Layer[] } }).router.stack, ''))].sort();
}

function appWith(config: AppDeps['config'], memory: boolean): Express {
  const deps = new Proxy(
    { config, log: stub(), metrics: stub(), draining: () => false, healthChecks: [], tracing: false },
    {
      get: (target, key): unknown =>
        key in target ? (Reflect.get(target, key) as unknown) : key === 'memory' && !memory ? undefined : stub(),
    },
  );
  return createApp(deps as unknown as AppDeps);
}

describe('the route table', () => {
  const config = loadConfig({ API_KEY_ENCRYPTION_KEY: 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=', MODE: 'proxy' });
  const documented = gatewayRoutes(config.prefix)
    .map((route) => `${route.method} ${route.path}`)
    .sort();

  it('lists exactly the routes Express registers, with memory on', () => {
    const routes = registered(appWith(config, true));
    expect(routes.length).toBeGreaterThan(30);
    // A difference names the route: add its row to route-table.ts (with the schema its body is checked against), or remove the row.
    expect(routes, 'routes Express registers vs rows of gateway/openapi/route-table.ts').toEqual(documented);
  });

  it('lists the memory routes that answer 503 when memory is off', () => {
    const routes = registered(appWith(config, false));
    expect(documented.filter((route) => !routes.includes(route)).every((route) => route.includes('/memories'))).toBe(true);
  });

  it('follows the API prefix', () => {
    const other = { ...config, prefix: '/api/v2' };
    expect(registered(appWith(other, true))).toEqual(
      gatewayRoutes('/api/v2')
        .map((route) => `${route.method} ${route.path}`)
        .sort(),
    );
  });
});
