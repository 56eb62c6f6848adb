import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { createApp } from '../api/app.ts';
import { InputError } from '../errors.ts';
import { openStore } from '../store/store.ts';
import { DEFAULT_DB } from './show.ts';

export function serveCommand(): Command {
  return new Command('serve')
    .description('Serve the results read-only as JSON (/api, OpenAPI at /api/openapi.json) and site/dist/ when built')
    .option('--port <n>', 'port to listen on', '8787')
    .option('--db <path>', 'results database (opened read-only)', DEFAULT_DB)
    .option('--hostname <host>', 'interface to bind', '127.0.0.1')
    .option('--static <dir>', 'folder served for non-/api paths (default: site/dist when present)')
    .action((flags: { port: string; db: string; hostname: string; static?: string }) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError(`--port ${flags.port}: expected a port number`);
      if (flags.static !== undefined && !existsSync(flags.static)) throw new InputError(`--static ${flags.static}: no such folder`);
      const store = openStore(flags.db, { readonly: true });
      const app = createApp(store, { staticRoot: flags.static });
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
