import { addPending, takePending, state } from "./state.js";
import { recordLine } from "./console.js";

// Timers are fired by Python (which sleeps on the host's asyncio loop), so a pending
// timer never keeps V8 busy and counts against the invocation's time limit.
export function setTimeout(callback, delay, ...args) {
  if (typeof callback !== "function") throw new TypeError('The "callback" argument must be of type function');
  const ms = Math.max(0, Number(delay) || 0);
  const { id, slot } = addPending("timer", { callback, args });
  state.timers.push({ id, slot, delay: ms });
  return id;
}

export function clearTimeout(id) {
  takePending(Number(id));
}

export function fireTimer(id) {
  const entry = takePending(id);
  if (!entry) return;
  state.current = entry.slot;
  try {
    entry.callback(...entry.args);
  } catch (err) {
    recordLine(entry.slot, `Uncaught exception in setTimeout callback: ${err && err.message}`);
  }
}
