#!/usr/bin/env node
// The `miniconv` command: runs the TypeScript entry (bin/main.ts) through tsx's loader.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('./main.ts');
process.exitCode = await run(process.argv.slice(2));
