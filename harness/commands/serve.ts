import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { Hono } from 'hono';
import { compress } from 'hono/compress';
import { createApp } from '../api/app.ts';
import { InputError } from '../errors.ts';
import { openStore } from '../store/store.ts';
import { DEFAULT_DB } from './show.ts';

/**
 * What `serve` answers with: the API app behind Hono's compress middleware (gzip or deflate when
 * the client accepts it, for compressible types over 1 KiB), and the site's own 404 page for a
 * missing page when the static folder has one (the API keeps its JSON 404s).
 */
export function serveApp(app: Hono, staticRoot: string | null): Hono {
  const outer = new Hono();
  outer.use('*', compress());
  outer.all('*', async (c) => {
    const res = await app.fetch(c.req.raw);
    const notFound = staticRoot ? join(staticRoot, '404.html') : null;
    if (res.status === 404 && notFound && c.req.method === 'GET' && !c.req.path.startsWith('/api/') && existsSync(notFound)) {
      return new Response(Bun.file(notFound), { status: 404, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
    }
    return res;
  });
  return outer;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('Serve the results read-only as JSON (/api, OpenAPI at /api/openapi.json) and site/dist/ when built, compressed when the client accepts it')
    .option('--port <n>', 'port to listen on (0: any free port)', '8787')
    .option('--db <path>', 'results database (opened read-only)', DEFAULT_DB)
    .option('--hostname <host>', 'interface to bind', '127.0.0.1')
    .option('--static <dir>', 'folder served for non-/api paths (default: site/dist when present)')
    .action((flags: { port: string; db: string; hostname: string; static?: string }) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError(`--port ${flags.port}: expected a port number`);
      if (flags.static !== undefined && !existsSync(flags.static)) throw new InputError(`--static ${flags.static}: no such folder`);
      const store = openStore(flags.db, { readonly: true });
      const staticRoot = flags.static ?? (existsSync('site/dist') ? 'site/dist' : null);
      const app = serveApp(createApp(store, { staticRoot: flags.static }), staticRoot);
      const server = Bun.serve({ port, hostname: flags.hostname, fetch: app.fetch });
      process.stderr.write(`serving ${flags.db} read-only on http://${server.hostname}:${server.port}/api (OpenAPI: /api/openapi.json)\n`);
      const stop = () => {
        server.stop();
        store.close();
        process.exit(0);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
}
