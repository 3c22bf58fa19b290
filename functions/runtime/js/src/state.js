// Per-run bookkeeping shared by the globals and the driver. `current` is the slot
// (event index, "batch" or "run") that console output and requests are attributed to.
export const state = {
  current: "run",
  nextId: 1,
  logs: new Map(),
  pending: new Map(),
  outbox: [],
  timers: [],
  fetchCounts: new Map(),
  maxFetches: 50,
  logLimit: 4096,
};

export function resetState(limits) {
  state.current = "run";
  state.logs = new Map();
  state.pending = new Map();
  state.outbox = [];
  state.timers = [];
  state.fetchCounts = new Map();
  state.maxFetches = limits.maxFetches;
  state.logLimit = limits.logLimit;
}

// A promise settled later by Python (a fetch response or a timer firing).
export function addPending(kind, entry) {
  const id = state.nextId++;
  const slot = state.current;
  state.pending.set(id, { kind, slot, ...entry });
  return { id, slot };
}

export function takePending(id) {
  const entry = state.pending.get(id);
  if (!entry) return undefined;
  state.pending.delete(id);
  return entry;
}
