// Model files in a browser page: saved to and loaded from IndexedDB (as TF.js's `indexeddb://`
// handler does), and loaded from a URL (its `http://` handler). What is stored and fetched is the
// same JSON text as a model file on disk (serializeModel / deserializeModel), so a model saved from
// a page loads with `miniconv eval` and the other way round, validated the same way.
//
// Nothing saved is half-written: the model is serialised (and so checked) before IndexedDB is
// touched, and the one put runs in its own read-write transaction, which IndexedDB commits whole or
// not at all; the promise settles only when the transaction has completed.
//
// IndexedDB's types are the DOM's, which a Node project does not have: the few members used here are
// declared below, so that these declarations compile with or without the DOM's lib.
import type { Sequential } from '../layers/sequential.ts';
import { type ModelMetadata, MODEL_FORMAT, deserializeModel, serializeModel } from './model-format.ts';

/** A loaded model: as loadModel returns it (in evaluation mode). */
export interface LoadedModel {
  /** The model, rebuilt from the file's architecture and weights, in training mode. */
  model: Sequential;
  /** The input shape without the batch, e.g. [1, 28, 28]. */
  inputShape: number[];
  /** The file's training metadata (seed, history, ...), as saved. */
  metadata: ModelMetadata;
}

/** The members of the DOM's IDBRequest used here. */
interface IdbRequest<T> {
  readonly result: T;
  readonly error: { name: string; message: string } | null;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}

interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: (() => void) | null;
  onblocked: (() => void) | null;
}

interface IdbDatabase {
  readonly objectStoreNames: { contains(name: string): boolean };
  createObjectStore(name: string): unknown;
  transaction(store: string, mode: 'readonly' | 'readwrite'): IdbTransaction;
  close(): void;
}

interface IdbTransaction {
  readonly error: { name: string; message: string } | null;
  objectStore(name: string): IdbStore;
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

interface IdbStore {
  put(value: unknown, key: string): IdbRequest<unknown>;
  get(key: string): IdbRequest<unknown>;
  delete(key: string): IdbRequest<unknown>;
  getAllKeys(): IdbRequest<unknown[]>;
}

/** The members of the DOM's IDBFactory (`globalThis.indexedDB`) used here. */
export interface IndexedDbFactory {
  /** Opens (creating or upgrading as needed) the database `name` at `version`: IDBFactory.open. */
  open(name: string, version?: number): IdbOpenRequest;
}

/** Options of saveModelToIndexedDb, loadModelFromIndexedDb and the other IndexedDB functions: which database, in which IndexedDB. */
export interface IndexedDbOptions {
  /** The database's name (default 'miniconv'). Models are kept in its object store 'models'. */
  dbName?: string;
  /** The IndexedDB to use (default `globalThis.indexedDB`, the page's). */
  indexedDB?: IndexedDbFactory;
}

/** Options of loadModelFromUrl: a size limit, a stop signal, and the fetch to use. */
export interface LoadFromUrlOptions {
  /** Refuse a response larger than this many bytes (default 256 MiB, as loadModel). */
  maxBytes?: number;
  /** Passed to fetch: stops the download. */
  signal?: AbortSignal;
  /** The fetch to use (default `globalThis.fetch`). */
  fetch?: (url: string, init?: { signal?: AbortSignal }) => Promise<FetchResponse>;
}

/** The members of the DOM's Response used here. */
export interface FetchResponse {
  /** Whether the status is 2xx. */
  readonly ok: boolean;
  /** The HTTP status code, e.g. 200 or 404. */
  readonly status: number;
  /** The HTTP status message, e.g. 'Not Found'. */
  readonly statusText: string;
  /** The response headers (content-length is read to refuse an oversized answer before downloading it). */
  readonly headers: { get(name: string): string | null };
  /** The body as a stream: read chunk by chunk, so that an oversized answer is cut off, not buffered. */
  readonly body: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> } } | null;
  /** The whole body as text (used when there is no body stream). */
  text(): Promise<string>;
}

const STORE = 'models';
const DEFAULT_DB = 'miniconv';
const MAX_URL_MODEL_BYTES = 256 * 1024 * 1024;

/** What one IndexedDB record holds: the model file's text, and when it was saved. */
interface StoredModel {
  format: string;
  text: string;
  savedAt: string;
}

function checkKey(who: string, key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) throw new TypeError(`${who}: key must be a non-empty string (the model's name in the database), got ${JSON.stringify(key)}`);
}

function factoryOf(who: string, opts: IndexedDbOptions): IndexedDbFactory {
  const idb = opts.indexedDB ?? (globalThis as { indexedDB?: IndexedDbFactory }).indexedDB;
  if (!idb) throw new Error(`${who}: this environment has no IndexedDB (a browser page has one; in Node, save with saveModel to a file)`);
  return idb;
}

const described = (e: { name: string; message: string } | null) => (e ? `${e.name}: ${e.message}` : 'unknown error');

function openDb(who: string, opts: IndexedDbOptions): Promise<IdbDatabase> {
  const name = opts.dbName ?? DEFAULT_DB;
  const request = factoryOf(who, opts).open(name, 1);
  return new Promise((resolve, reject) => {
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(STORE)) request.result.createObjectStore(STORE);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new Error(`${who}: cannot open the IndexedDB database '${name}' (${described(request.error)})`));
    request.onblocked = () => reject(new Error(`${who}: the IndexedDB database '${name}' is held open at an older version by another tab; close it and retry`));
  });
}

/** Runs one request in its own transaction; resolves with its result once the transaction has completed. */
async function inStore<T>(who: string, opts: IndexedDbOptions, mode: 'readonly' | 'readwrite', work: (store: IdbStore) => IdbRequest<T>): Promise<T> {
  const db = await openDb(who, opts);
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      const fail = () => reject(new Error(`${who}: the IndexedDB transaction failed (${described(tx.error ?? request.error)}); nothing was changed`));
      tx.onerror = fail;
      tx.onabort = fail;
    });
  } finally {
    db.close();
  }
}

/**
 * Saves a model in the page's IndexedDB under `key` (TF.js: `model.save('indexeddb://key')`),
 * replacing the model saved there before only once the new one is written whole.
 * @param inputShape the input shape without the batch, e.g. [1, 28, 28]
 * @param metadata what a model file records besides the weights (class names, preprocessing, ...)
 */
export async function saveModelToIndexedDb(key: string, model: Sequential, inputShape: readonly number[], metadata: ModelMetadata = {}, opts: IndexedDbOptions = {}): Promise<void> {
  const who = 'saveModelToIndexedDb';
  checkKey(who, key);
  const record: StoredModel = { format: MODEL_FORMAT, text: serializeModel(model, inputShape, metadata), savedAt: new Date().toISOString() };
  await inStore(who, opts, 'readwrite', (store) => store.put(record, key));
}

/** Loads the model saved under `key` by saveModelToIndexedDb, validated as loadModel validates a file. */
export async function loadModelFromIndexedDb(key: string, opts: IndexedDbOptions = {}): Promise<LoadedModel> {
  const who = 'loadModelFromIndexedDb';
  checkKey(who, key);
  const record = await inStore(who, opts, 'readonly', (store) => store.get(key));
  const where = `indexeddb://${key}`;
  if (record === undefined) throw new Error(`${who}: no model saved under '${key}' in the database '${opts.dbName ?? DEFAULT_DB}'`);
  const stored = record as Partial<StoredModel> | null;
  if (!stored || typeof stored !== 'object' || stored.format !== MODEL_FORMAT || typeof stored.text !== 'string') {
    throw new Error(`${who}: ${where} does not hold a model saved by miniconv (expected { format: '${MODEL_FORMAT}', text })`);
  }
  return deserializeModel(stored.text, where);
}

/** The keys of the models saved in the database, sorted. */
export async function listModelsInIndexedDb(opts: IndexedDbOptions = {}): Promise<string[]> {
  const keys = await inStore('listModelsInIndexedDb', opts, 'readonly', (store) => store.getAllKeys());
  return keys.map(String).sort();
}

/** Removes the model saved under `key` (nothing happens when there is none). */
export async function deleteModelFromIndexedDb(key: string, opts: IndexedDbOptions = {}): Promise<void> {
  checkKey('deleteModelFromIndexedDb', key);
  await inStore('deleteModelFromIndexedDb', opts, 'readwrite', (store) => store.delete(key));
}

/**
 * Fetches a model file (the JSON that saveModel writes, or `miniconv train --out`) and builds the
 * model (TF.js: `tf.loadLayersModel('https://...')`). A response that is not OK, larger than
 * `maxBytes`, or not a valid model file is an error naming the URL.
 */
export async function loadModelFromUrl(url: string | URL, opts: LoadFromUrlOptions = {}): Promise<LoadedModel> {
  const who = 'loadModelFromUrl';
  const href = String(url);
  const maxBytes = opts.maxBytes ?? MAX_URL_MODEL_BYTES;
  const fetchFn = opts.fetch ?? (globalThis as { fetch?: LoadFromUrlOptions['fetch'] }).fetch;
  if (!fetchFn) throw new Error(`${who}: this environment has no fetch; pass opts.fetch`);
  let response: FetchResponse;
  try {
    response = await fetchFn(href, { signal: opts.signal });
  } catch (e) {
    throw new Error(`${who}: cannot fetch ${href} (${(e as Error).message})`);
  }
  if (!response.ok) throw new Error(`${who}: ${href} answered ${response.status} ${response.statusText}; expected 200 and a model file`);
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw new RangeError(`${who}: ${href} is ${declared} bytes, more than maxBytes ${maxBytes}`);
  return deserializeModel(await boundedText(who, href, response, maxBytes), href);
}

/** The body as text, read until it passes `maxBytes` (then the download is cancelled). */
async function boundedText(who: string, href: string, response: FetchResponse, maxBytes: number): Promise<string> {
  if (!response.body) return response.text(); // no stream to read (a test double): its text was given whole
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!value) continue;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      throw new RangeError(`${who}: ${href} is more than maxBytes ${maxBytes} bytes long; refused`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) { bytes.set(c, at); at += c.length; }
  return new TextDecoder().decode(bytes);
}
