// The worker pool: min(cores, 8) Web Workers (or ?workers=N), each with its own instance
// of the engine, compiled once here and posted to every worker. The messages are
// described in src/web/worker/protocol.rs.

import { base } from './dom.js';
import { state } from './state.js';

/** Starts the workers; resolves when every one has said "ready". */
export async function startWorkers(onMessage) {
  const asked = Number(new URLSearchParams(location.search).get('workers'));
  const n = asked >= 1 && asked <= 64 ? Math.floor(asked) : Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 8));
  const url = new URL('worker-boot.js', base);
  const module = await compileWorkerModule();
  const readies = [];
  for (let i = 0; i < n; i++) {
    const worker = new Worker(url);
    const slot = { worker, inFlight: 0, index: i };
    readies.push(new Promise((resolve, reject) => {
      // Messages posted before the engine is loaded would be lost: wait for "ready".
      worker.onmessage = (ev) => {
        if (ev.data && ev.data.type === 'ready') {
          worker.onmessage = (e) => onMessage(slot, e.data);
          resolve();
        } else if (ev.data && ev.data.type === 'error') {
          reject(new Error(ev.data.message));
        }
      };
      worker.onerror = (ev) => reject(new Error(ev.message || 'the worker failed to start'));
    }));
    worker.postMessage({ type: 'module', module });
    state.pool.push(slot);
  }
  return Promise.all(readies);
}

async function compileWorkerModule() {
  const wasmUrl = new URL('worker_bg.wasm', base);
  const response = await fetch(wasmUrl);
  if (!response.ok) throw new Error(`${wasmUrl.pathname}: HTTP ${response.status}`);
  // compileStreaming needs the application/wasm type; a server that sends another one
  // still works through the slower path.
  if (WebAssembly.compileStreaming && (response.headers.get('content-type') || '').startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

/** Posts to every worker. */
export function broadcast(message) {
  for (const s of state.pool) s.worker.postMessage(message);
}
