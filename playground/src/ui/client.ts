// The page's side of the worker protocol: sends commands, routes reports to listeners, and turns
// predict/backprop/save into promises.

import type { FromWorker, ToWorker } from '../protocol.ts';

type Listener<T extends FromWorker['type']> = (m: Extract<FromWorker, { type: T }>) => void;

export class WorkerClient {
  private readonly worker: Worker;
  private readonly listeners = new Map<string, Array<(m: FromWorker) => void>>();
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (m: FromWorker) => void; reject: (e: Error) => void }>();
  private saving: Array<(text: string) => void> = [];

  /** threads and notIsolated: the init message's (see protocol.ts). */
  constructor(threads: number | null, notIsolated: string | null) {
    this.worker = new Worker(new URL('../worker.ts', import.meta.url), { type: 'module', name: 'miniconv-training' });
    this.worker.onmessage = (ev: MessageEvent<FromWorker>) => this.dispatch(ev.data);
    this.worker.onerror = (ev) => this.dispatch({ type: 'error', message: `training worker: ${ev.message}` });
    this.send({ type: 'init', base: new URL('./', document.baseURI).href, threads, notIsolated });
  }

  send(m: ToWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(m, transfer);
  }

  on<T extends FromWorker['type']>(type: T, f: Listener<T>): void {
    const list = this.listeners.get(type) ?? [];
    list.push(f as (m: FromWorker) => void);
    this.listeners.set(type, list);
  }

  predict(pixels: Float32Array): Promise<Extract<FromWorker, { type: 'prediction' }>> {
    const id = this.nextId++;
    this.send({ type: 'predict', id, pixels: pixels.slice() });
    return new Promise((resolve, reject) => this.waiting.set(id, { resolve: resolve as (m: FromWorker) => void, reject }));
  }

  /** Reads every digit of the number pad's RGBA pixels (the worker runs readNumber with the model in training). */
  readNumber(rgba: Uint8ClampedArray, width: number, height: number): Promise<Extract<FromWorker, { type: 'numberRead' }>> {
    const id = this.nextId++;
    this.send({ type: 'readNumber', id, rgba: rgba.slice(), width, height });
    return new Promise((resolve, reject) => this.waiting.set(id, { resolve: resolve as (m: FromWorker) => void, reject }));
  }

  backprop(pixels: Float32Array, label: number, lr: number, fresh = false): Promise<Extract<FromWorker, { type: 'backprop' }>> {
    const id = this.nextId++;
    this.send({ type: 'backprop', id, pixels: pixels.slice(), label, lr, fresh });
    return new Promise((resolve, reject) => this.waiting.set(id, { resolve: resolve as (m: FromWorker) => void, reject }));
  }

  gallery(): Promise<Extract<FromWorker, { type: 'gallery' }>> {
    const id = this.nextId++;
    this.send({ type: 'gallery', id });
    return new Promise((resolve, reject) => this.waiting.set(id, { resolve: resolve as (m: FromWorker) => void, reject }));
  }

  save(): Promise<string> {
    this.send({ type: 'save' });
    return new Promise((resolve) => this.saving.push(resolve));
  }

  private dispatch(m: FromWorker): void {
    if ((m.type === 'prediction' || m.type === 'numberRead' || m.type === 'backprop' || m.type === 'gallery' || m.type === 'error') && m.id !== undefined && this.waiting.has(m.id)) {
      const w = this.waiting.get(m.id)!;
      this.waiting.delete(m.id);
      if (m.type === 'error') w.reject(new Error(m.message)); else w.resolve(m);
    }
    if (m.type === 'saved') this.saving.shift()?.(m.text);
    for (const f of this.listeners.get(m.type) ?? []) f(m);
  }
}
