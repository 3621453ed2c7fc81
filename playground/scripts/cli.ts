// npm run playground [-- --port N]   builds the page and serves it on http://127.0.0.1:N/ (default 5180)
// npm run playground:build           writes the static site to playground/dist (relative paths)
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build, preview } from 'vite';
import { makeAssets } from './make-assets.ts';

const USAGE = `usage: npm run playground [-- --port N]     build and serve on 127.0.0.1 (default port 5180)
       npm run playground:build              write the static site to playground/dist`;

export const PLAYGROUND_DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const configFile = fileURLToPath(new URL('../vite.config.ts', import.meta.url));

/**
 * Generates the assets and builds the site into playground/dist, or into `outDir` (a test file that
 * runs beside another one building the page takes a folder of its own: a build empties its folder).
 */
export async function buildPlayground(outDir = PLAYGROUND_DIST): Promise<string> {
  makeAssets();
  await build({ configFile, logLevel: 'warn', build: { outDir } });
  return outDir;
}

/** Serves playground/dist (or `outDir`) on 127.0.0.1; resolves to the URL and a function that stops the server. */
export async function servePlayground(port: number, outDir = PLAYGROUND_DIST): Promise<{ url: string; close: () => Promise<void> }> {
  const server = await preview({ configFile, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port, strictPort: port !== 0, open: false } });
  const address = server.httpServer.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return { url: `http://127.0.0.1:${actual}/`, close: () => server.close() };
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  let values: { port?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: rest, options: { port: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }));
  } catch (e) {
    console.error(`playground: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) { console.log(USAGE); return 0; }
  if (command === 'build') {
    if (values.port !== undefined) { console.error(`playground build: --port is for serving\n${USAGE}`); return 2; }
    const dir = await buildPlayground();
    console.log(`playground built into ${dir} (a static site: serve that folder over http)`);
    return 0;
  }
  if (command === 'serve') {
    const port = values.port === undefined ? 5180 : Number(values.port);
    if (!/^\d+$/.test(values.port ?? '5180') || port < 1 || port > 65535) {
      console.error(`playground: --port must be an integer from 1 to 65535, got '${values.port}'\n${USAGE}`);
      return 2;
    }
    await buildPlayground();
    const { url } = await servePlayground(port);
    console.log(`miniconv playground: ${url}  (Ctrl-C to stop)`);
    return -1; // keep serving
  }
  console.error(`playground: unknown command '${command ?? ''}', expected build or serve\n${USAGE}`);
  return 2;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then((code) => { if (code >= 0) process.exit(code); }, (e: Error) => { console.error(`playground: ${e.message}`); process.exit(1); });
}
