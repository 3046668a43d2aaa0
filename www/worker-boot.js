// A Web Worker of the pool: loads the engine's bindings, then waits for the page to post
// the engine's wasm module, compiled once on the page for every worker, and instantiates
// it here (each worker has its own instance and memory). The engine then answers "ready".
importScripts('./worker.js');
self.onmessage = (event) => {
  const data = event.data;
  if (!data || data.type !== 'module') return;
  self.onmessage = null; // the engine installs its own handler
  wasm_bindgen({ module_or_path: data.module }).catch((e) => {
    self.postMessage({ type: 'error', job: 0, message: `the analyser could not start in a worker (${e.message || e})` });
  });
};
