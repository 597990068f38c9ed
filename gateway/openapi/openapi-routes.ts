// GET /openapi.json and GET /docs: the reference, open to anyone who can reach the gateway (it
// holds no secret: the same facts are in the source). Built once, when the app is.
import { Router, type Request, type Response } from 'express';
import { buildOpenApiDocument } from './build-document.ts';
import { DOCS_PAGE } from './docs-page.ts';
import { gatewayRoutes } from './route-table.ts';

export function openApiRouter(info: { version: string; prefix: string }): Router {
  const document = JSON.stringify(buildOpenApiDocument(gatewayRoutes(info.prefix), info));
  const router = Router();
  router.get('/openapi.json', (_req: Request, res: Response) => {
    res.type('application/json').send(document);
  });
  router.get('/docs', (_req: Request, res: Response) => {
    res.type('html').send(DOCS_PAGE);
  });
  return router;
}
