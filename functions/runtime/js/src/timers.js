import { addPending, takePending, state } from "./state.js";
import { recordLine } from "./console.js";

// Timers are fired by Python (which sleeps on the host's asyncio loop), so a pending
// timer never keeps V8 busy and counts against the invocation's time limit. An interval
// stays pending (and is re-armed after each firing) until cleared or the run ends.
function schedule(callback, delay, args, repeat) {
  if (typeof callback !== "function") throw new TypeError('The "callback" argument must be of type function');
  // Node runs a delay under 1 ms (or not a number) as 1 ms.
  const ms = Math.max(1, Number(delay) || 1);
  const { id, slot } = addPending("timer", { callback, args, repeat, delay: ms });
  state.timers.push({ id, slot, delay: ms });
  return id;
}

export function setTimeout(callback, delay, ...args) {
  return schedule(callback, delay, args, false);
}

export function setInterval(callback, delay, ...args) {
  return schedule(callback, delay, args, true);
}

export function clearTimeout(id) {
  const entry = state.pending.get(Number(id));
  if (entry && entry.kind === "timer") takePending(Number(id));
}

export const clearInterval = clearTimeout;

export function fireTimer(id) {
  const entry = state.pending.get(id);
  if (!entry) return;
  if (!entry.repeat) takePending(id);
  state.current = entry.slot;
  try {
    entry.callback(...entry.args);
  } catch (err) {
    recordLine(entry.slot, `Uncaught exception in ${entry.repeat ? "setInterval" : "setTimeout"} callback: ${err && err.message}`);
  }
  if (entry.repeat && state.pending.get(id) === entry) state.timers.push({ id, slot: entry.slot, delay: entry.delay });
}
