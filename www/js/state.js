// The page's state, in one place: what every module reads and changes.

export const state = {
  /** The main-thread bindings of the engine (wasm). */
  wasm: null,
  /** The worker pool: `{worker, inFlight, index}`. */
  pool: [],
  /** `{file, name, size}` (or `{name, size, s3}` for an object of a bucket), sorted by name. */
  files: [],
  /** The engine's `Analysis` of the last finished run. */
  analysis: null,
  /** How many of `files` the finished analysis covers. */
  analysedCount: 0,
  /** The run in progress (an analysis or an export), or null. */
  run: null,
  jobCounter: 0,
  /** The settings in force (the engine's `Settings`, as an object). */
  settings: null,
  /** The period the report is read by (remembered). */
  period: 'week',
  /** The dataset the chart and the period table show ('' for all). */
  dataset: '',
  /** `{csv, txt}`: the row exports written for this analysis, in the private file system. */
  exported: null,
  /** The log bucket last read (its `LogBucket`: the keys, in the engine's memory). */
  bucket: null,
  /** `{cancelled}` while a bucket is being listed. */
  listing: null,
  cancelTimer: null,
  /** Resolved when no run is in progress (see `whenIdle`). */
  idleWaiters: [],
};

/** The next job number (jobs only grow; a worker drops messages of cancelled ones). */
export function nextJob() {
  state.jobCounter += 1;
  return state.jobCounter;
}

/**
 * Waits until no run is in progress: a download asked for while a run is going (a
 * settings field re-runs the analysis when it loses focus to the download button)
 * waits for the run instead of being lost.
 */
export function whenIdle() {
  return state.run ? new Promise((resolve) => state.idleWaiters.push(resolve)) : Promise.resolve();
}

/** Wakes whatever waits in `whenIdle`, once no run is in progress. */
export function settle() {
  if (state.run) return;
  const waiters = state.idleWaiters;
  state.idleWaiters = [];
  for (const w of waiters) w();
}
