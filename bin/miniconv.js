#!/usr/bin/env node
// The `miniconv` command. Installed from the package, it runs the compiled entry, dist/bin/main.js,
// with plain Node. In a checkout of the repository, where the TypeScript entry (bin/main.ts, not in
// the package) sits beside this file, it runs that through tsx's loader (a dev dependency) instead,
// so the command always runs the sources being edited, never a stale dist/.
import { existsSync } from 'node:fs';

const source = new URL('./main.ts', import.meta.url);
let entry;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = await import(source.href);
} else {
  entry = await import('../dist/bin/main.js');
}
process.exitCode = await entry.run(process.argv.slice(2));
