// The read floor: workers read the chosen files as the page reads them (floor-worker.js) and discard the bytes.
// Files are dealt as the page deals them (biggest first, plain files of 64 MiB or more cut
// into byte ranges when there are several workers, 2 reads in flight per worker, 8 for
// files of 4 MiB or less).
const params = new URLSearchParams(location.search);
const n = Number(params.get('workers')) || Math.min(navigator.hardwareConcurrency || 2, 8);
const IN_FLIGHT = 2;
const IN_FLIGHT_SMALL = 8;
const SMALL_FILE = 4 * 1024 * 1024;
const SPLIT_MIN = 64 * 1024 * 1024;
const PART_MIN = 32 * 1024 * 1024;
const workers = Array.from({ length: n }, () => ({ w: new Worker('floor-worker.js'), busy: 0 }));

document.getElementById('files').addEventListener('change', async (e) => {
  const files = Array.from(e.target.files).sort((a, b) => b.size - a.size);
  const items = [];
  for (const file of files) {
    if (n > 1 && file.size >= SPLIT_MIN) {
      const parts = Math.max(2, Math.min(n * 4, Math.floor(file.size / PART_MIN)));
      for (let i = 0; i < parts; i++) {
        items.push({ file, start: Math.floor(file.size * i / parts), end: Math.floor(file.size * (i + 1) / parts) });
      }
    } else {
      items.push({ file, start: 0, end: file.size });
    }
  }
  const t0 = performance.now();
  let next = 0;
  let done = 0;
  let bytes = 0;
  await new Promise((resolve) => {
    const pump = (slot) => {
      const small = (it) => it.start === 0 && it.end === it.file.size && it.file.size <= SMALL_FILE;
      while (next < items.length && (slot.busy < IN_FLIGHT || (slot.busy < IN_FLIGHT_SMALL && small(items[next])))) {
        slot.busy++;
        slot.w.postMessage(items[next++]);
      }
    };
    for (const slot of workers) {
      slot.w.onmessage = (ev) => {
        bytes += ev.data.bytes;
        done++;
        slot.busy--;
        if (done === items.length) resolve();
        else pump(slot);
      };
      pump(slot);
    }
    if (items.length === 0) resolve();
  });
  document.body.dataset.seconds = String((performance.now() - t0) / 1000);
  document.body.dataset.bytes = String(bytes);
  document.body.dataset.state = 'done';
});
