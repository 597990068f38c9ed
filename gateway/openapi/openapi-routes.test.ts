// GET /openapi.json and GET /docs as a client sees them: no credentials, the document's media
// type, and a page that loads nothing from the network.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiRouter } from './openapi-routes.ts';

let server: Server;
let base = '';

beforeAll(async () => {
  const app = express().use(openApiRouter({ version: '1.2.3', prefix: '/v1' }));
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
});

afterAll(() => {
  server.close();
});

describe('the reference endpoints', () => {
  it('serve the OpenAPI document as JSON, without credentials', async () => {
    const res = await fetch(`${base}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const document = (await res.json()) as { openapi: string; info: { version: string }; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.version).toBe('1.2.3');
    expect(Object.keys(document.paths)).toContain('/v1/chat/completions');
  });

  it('serve a page that renders the document and loads nothing from elsewhere', async () => {
    const res = await fetch(`${base}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await res.text();
    expect(page).toContain("fetch('openapi.json')");
    // No external script, stylesheet, font or image: every src/href is absent or relative.
    expect(page).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(page).not.toMatch(/@import|url\(/i);
  });
});
