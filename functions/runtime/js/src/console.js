// Node's own util.format / util.inspect, extracted for non-Node engines, so a log line
// reads as it did on the product.
import { format } from "node-inspect-extracted";
import { state } from "./state.js";

const TRUNCATED = "[console output truncated: over the 4 KB limit]";

function logsOf(slot) {
  let entry = state.logs.get(slot);
  if (!entry) {
    entry = { lines: [], bytes: 0, full: false, sent: 0 };
    state.logs.set(slot, entry);
  }
  return entry;
}

// Every level prints as console.log does (Node writes them alike, to stdout or stderr).
// Output beyond the cap is dropped before formatting, so a flood costs little.
function record(level, args) {
  const entry = logsOf(state.current);
  if (entry.full) return;
  const line = format(...args);
  const room = state.logLimit - entry.bytes;
  if (line.length > room) {
    if (room > 0) entry.lines.push(line.slice(0, room));
    entry.lines.push(TRUNCATED);
    entry.full = true;
    return;
  }
  entry.bytes += line.length;
  entry.lines.push(line);
}

export function recordLine(slot, line) {
  const saved = state.current;
  state.current = slot;
  record("error", [line]);
  state.current = saved;
}

export const console = Object.freeze({
  log: (...args) => record("log", args),
  info: (...args) => record("info", args),
  warn: (...args) => record("warn", args),
  error: (...args) => record("error", args),
  debug: (...args) => record("debug", args),
  trace: (...args) => record("debug", args),
});

// Lines recorded since the previous call, per slot.
export function drainLogs() {
  const out = {};
  for (const [slot, entry] of state.logs) {
    if (entry.sent < entry.lines.length) {
      out[slot] = entry.lines.slice(entry.sent);
      entry.sent = entry.lines.length;
    }
  }
  return out;
}
