// The command line run in-process, as the CLI tests drive it: argv in, exit code and the two output
// streams (joined lines) out, with the data loaders of bin/main.ts and no terminal.
import { dataLoaders } from '../bin/main.ts';
import { type CliIO, main } from '../src/cli/main.ts';

/** Runs `miniconv ...argv`; resolves to the exit code and what it wrote to stdout and stderr. */
export async function runCli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const io: CliIO = { out: (t) => out.push(t), err: (t) => err.push(t), isTTY: false };
  const code = await main(argv, { io, data: dataLoaders });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
