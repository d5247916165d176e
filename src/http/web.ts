import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** The built web UI: `web/dist` at the project's root, the same two levels up from src/http and dist/http. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../web/dist', import.meta.url));

const NOT_BUILT =
  '<!doctype html><html lang="en"><meta charset="utf-8"><title>Seat reservations</title>' +
  '<h1>Seat reservations</h1><p>The web UI is not built: run <code>npm run build</code>. ' +
  'Meanwhile, see the <a href="/docs">API docs</a>.</p></html>';

/** Serves the single-page app at `/`; its hashed assets may be cached for good, its page never. */
export async function registerWeb(app: FastifyInstance, root: string): Promise<void> {
  if (!existsSync(join(root, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, (_request, reply) =>
      reply.type('text/html; charset=utf-8').send(NOT_BUILT),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    // Routes for the files that exist, no catch-all: an unknown path stays our JSON 404.
    wildcard: false,
    schemaHide: true,
    cacheControl: false,
    setHeaders: (reply, path) => {
      void reply.header(
        'cache-control',
        path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
}
