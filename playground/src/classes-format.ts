// The "Your classes" data set file (classes.json): the class names and every example picture, so
// that a page can load it again and a class continues where it stopped. No DOM, no worker API:
// the tests run it in Node too.
//
// Each example is kept as the page holds it: 3 x 32 x 32 bytes (RGB planes, channel after channel,
// 0..255), what pictureToInput (src/io/picture-input.ts) makes of a drawing, an upload or a camera
// frame with size [32, 32] and channels 3; a grey run takes their luma. Layout (JSON):
//   { "format": "miniconv-classes", "version": 1, "size": [32, 32], "channels": 3,
//     "classes": [ { "name": "circle", "examples": ["<base64 of 3072 bytes>", ...] }, ... ] }

export const CLASSES_FORMAT = 'miniconv-classes';
export const CLASSES_VERSION = 1;
/** The size every example is kept at: [H, W]. */
export const EXAMPLE_SIZE: [number, number] = [32, 32];
/** Bytes of one example: 3 x 32 x 32. */
export const EXAMPLE_BYTES = 3 * EXAMPLE_SIZE[0] * EXAMPLE_SIZE[1];
export const MIN_CLASSES = 2;
export const MAX_CLASSES = 10;
/** Per class: enough for any set made by hand, bounded so that a file cannot exhaust memory. */
export const MAX_EXAMPLES = 1000;
/** A class name is a folder name for `miniconv eval --images`: at most this many characters. */
export const MAX_NAME = 40;
/** The largest data set file the page reads (10 classes x 1000 examples in base64 is about 41 MB). */
export const MAX_FILE_BYTES = 48 * 1024 * 1024;

/** One class: its name and its examples (EXAMPLE_BYTES each). */
export interface OwnClass { name: string; examples: Uint8Array[] }

/**
 * Checks a class name; the error says what is wrong and what a name may be. Names become folder
 * names for `miniconv eval --images DIR`, so no slash, backslash, control character, '.' or '..'.
 */
export function checkClassName(name: unknown, who = 'class name'): string {
  if (typeof name !== 'string') throw new TypeError(`${who} must be a string, got ${JSON.stringify(name)}`);
  const n = name.trim();
  if (n === '') throw new RangeError(`${who} is empty; give each class a name (it becomes the label of its predictions)`);
  if (n.length > MAX_NAME) throw new RangeError(`${who} "${n.slice(0, 20)}…" is ${n.length} characters; at most ${MAX_NAME}`);
  // eslint-disable-next-line no-control-regex
  if (/[/\\\u0000-\u001f]/.test(n) || n === '.' || n === '..') throw new RangeError(`${who} ${JSON.stringify(n)} cannot be a folder name; leave out / and \\ (and it cannot be . or ..)`);
  return n;
}

/** Checks a list of classes (2 to 10, names unique after case folding); returns the trimmed names. */
export function checkClasses(names: readonly unknown[], who = 'classes'): string[] {
  if (names.length < MIN_CLASSES || names.length > MAX_CLASSES) throw new RangeError(`${who}: ${names.length} class${names.length === 1 ? '' : 'es'}; make from ${MIN_CLASSES} to ${MAX_CLASSES}`);
  const seen = new Map<string, string>();
  return names.map((raw, k) => {
    const n = checkClassName(raw, `${who}: the name of class ${k + 1}`);
    const key = n.normalize('NFC').toLowerCase();
    const other = seen.get(key);
    if (other !== undefined) throw new RangeError(`${who}: "${other}" and "${n}" are the same name (letter case aside); give each class its own`);
    seen.set(key, n);
    return n;
  });
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** The data set file's text. */
export function encodeClasses(classes: readonly OwnClass[]): string {
  checkClasses(classes.map((c) => c.name), 'encodeClasses');
  for (const c of classes) {
    for (const e of c.examples) if (!(e instanceof Uint8Array) || e.length !== EXAMPLE_BYTES) throw new RangeError(`encodeClasses: an example of "${c.name}" has ${e?.length} bytes, expected ${EXAMPLE_BYTES} (3 x 32 x 32)`);
  }
  return JSON.stringify({
    format: CLASSES_FORMAT, version: CLASSES_VERSION, size: EXAMPLE_SIZE, channels: 3,
    classes: classes.map((c) => ({ name: c.name.trim(), examples: c.examples.map(toBase64) })),
  });
}

/**
 * Reads and checks a data set file's text (everything before anything is kept); the error names the
 * file, what is wrong and what was expected.
 */
export function decodeClasses(text: string, file = 'classes.json'): OwnClass[] {
  const bad = (what: string) => new Error(`${file}: ${what}`);
  if (typeof text !== 'string') throw bad('expected the text of a data set file');
  if (text.length > MAX_FILE_BYTES) throw bad(`is ${(text.length / 1e6).toFixed(0)} MB; a data set file is at most ${MAX_FILE_BYTES / 1024 / 1024} MB (${MAX_CLASSES} classes of ${MAX_EXAMPLES} examples)`);
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw bad(`is not JSON (${(e as Error).message}); expected a data set saved by the page's "Your classes" panel`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw bad('expected a JSON object { format, version, size, channels, classes }');
  if (doc.format !== CLASSES_FORMAT) throw bad(`has format ${JSON.stringify(doc.format)}, expected "${CLASSES_FORMAT}" (a data set saved by the "Your classes" panel; a model file goes to the Models panel)`);
  if (doc.version !== CLASSES_VERSION) throw bad(`has version ${JSON.stringify(doc.version)}; this page reads version ${CLASSES_VERSION}`);
  if (!Array.isArray(doc.size) || doc.size[0] !== EXAMPLE_SIZE[0] || doc.size[1] !== EXAMPLE_SIZE[1] || doc.channels !== 3) {
    throw bad(`holds examples of size ${JSON.stringify(doc.size)} with ${JSON.stringify(doc.channels)} channels; expected size [32, 32] and 3 channels`);
  }
  if (!Array.isArray(doc.classes)) throw bad(`"classes" must be a list of { name, examples }, got ${JSON.stringify(doc.classes)?.slice(0, 40)}`);
  const list = doc.classes as unknown[];
  const names = checkClasses(list.map((c) => (c && typeof c === 'object' ? (c as { name?: unknown }).name : undefined)), file);
  return list.map((c, k) => {
    const examples = (c as { examples?: unknown }).examples;
    if (!Array.isArray(examples)) throw bad(`class "${names[k]}": "examples" must be a list of base64 strings, got ${JSON.stringify(examples)?.slice(0, 40)}`);
    if (examples.length > MAX_EXAMPLES) throw bad(`class "${names[k]}" has ${examples.length} examples; at most ${MAX_EXAMPLES}`);
    return {
      name: names[k],
      examples: examples.map((e, i) => {
        let bytes: Uint8Array;
        try {
          if (typeof e !== 'string') throw new Error('not a string');
          bytes = Uint8Array.from(atob(e), (ch) => ch.charCodeAt(0));
        } catch {
          throw bad(`class "${names[k]}", example ${i + 1}: not base64 text; expected the 3072 bytes of a 3 x 32 x 32 picture`);
        }
        if (bytes.length !== EXAMPLE_BYTES) throw bad(`class "${names[k]}", example ${i + 1}: ${bytes.length} bytes, expected ${EXAMPLE_BYTES} (3 x 32 x 32); the file is damaged`);
        return bytes;
      }),
    };
  });
}
