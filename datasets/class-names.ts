// Class names from a text file beside a data set: one name a line, in label order (CIFAR-10's
// batches.meta.txt, or a classes.txt a user writes beside IDX files such as Fashion-MNIST's).

import { readRegularFile } from '../src/io/safe-read.ts';

/** Largest class-name file read (256 names of a few words). */
const MAX_NAMES_BYTES = 64 * 1024;

/**
 * Reads class names, one a line (blank lines at the end are ignored; a blank line before a name is
 * an error, as are repeated names and more than 256 names). `who` names the caller in errors.
 */
export function readClassNames(file: string, who: string): string[] {
  const text = readRegularFile(file, MAX_NAMES_BYTES, who).toString('utf8');
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((l) => l.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const blank = lines.indexOf('');
  if (blank >= 0) throw new Error(`${who}: ${file} line ${blank + 1} is blank; expected one class name a line, in label order`);
  if (lines.length > 256) throw new Error(`${who}: ${file} names ${lines.length} classes; miniconv keeps a label in one byte, at most 256 classes`);
  const seen = new Set<string>();
  lines.forEach((l, i) => {
    if (seen.has(l)) throw new Error(`${who}: ${file} line ${i + 1} repeats the class name '${l}'; each class needs its own name`);
    seen.add(l);
  });
  return lines;
}
