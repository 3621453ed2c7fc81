// The composition of the `miniconv` command: the command line (src/cli/) with the dataset loaders
// (datasets/), which src/ never imports. `npm run miniconv` runs this file with tsx; `npm start` runs
// it compiled, build/start/bin/main.js (scripts/build-start.mjs, its prestart), so that no TypeScript
// loader sits in the training process; bin/miniconv.js runs it for the installed command.

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadIdxMnist, readMnistPair } from '../datasets/idx.ts';
import { loadDigits } from '../datasets/mnist.ts';
import { loadCifar10 } from '../datasets/cifar10.ts';
import { type DataLoaders, main } from '../src/cli/main.ts';
import { processIO } from '../src/cli/io.ts';

export const dataLoaders: DataLoaders = {
  digits: ({ seed }) => loadDigits({ seed }),
  idx: (dir, opts) => loadIdxMnist(resolve(dir), opts?.maxBytes),
  idxTest: (dir, opts) => readMnistPair(resolve(dir), 't10k', opts?.maxBytes),
  // The picture folders' loader (and its PNG/JPEG decoders) is loaded only by the commands that read one.
  images: async (dir, o) => (await import('../datasets/image-folder.ts')).loadImageFolder(resolve(dir), { ...o, testDir: o.testDir === undefined ? undefined : resolve(o.testDir) }),
  imagesAll: async (dir, o) => (await import('../datasets/image-folder.ts')).loadImageFolderAll(resolve(dir), o),
  cifar10: (dir, opts) => ({ ...loadCifar10(resolve(dir), opts), skipped: [] }),
};

/** Runs `miniconv <argv>` on the process's stdout and stderr; resolves to the exit code. */
export function run(argv: string[]): Promise<number> {
  return main(argv, { io: processIO(), data: dataLoaders });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await run(process.argv.slice(2));
}
