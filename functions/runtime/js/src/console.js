import inspect from "object-inspect";
import { state } from "./state.js";

const TRUNCATED = "[console output truncated: over the 4 KB limit]";

function show(value) {
  return typeof value === "string" ? value : inspect(value, { depth: 4 });
}

// util.format's placeholders, so `console.log('%s has %d items', a, n)` reads as in Node.
function format(args) {
  if (typeof args[0] !== "string" || !args[0].includes("%")) return args.map(show).join(" ");
  let rest = args.slice(1);
  const head = args[0].replace(/%([sdifjoO%])/g, (match, spec) => {
    if (spec === "%") return "%";
    if (rest.length === 0) return match;
    const value = rest.shift();
    if (spec === "s") return typeof value === "string" ? value : show(value);
    if (spec === "d" || spec === "i") return String(spec === "i" ? parseInt(value, 10) : Number(value));
    if (spec === "f") return String(parseFloat(value));
    if (spec === "j") return JSON.stringify(value);
    return show(value);
  });
  return [head, ...rest.map(show)].join(" ");
}

function logsOf(slot) {
  let entry = state.logs.get(slot);
  if (!entry) {
    entry = { lines: [], bytes: 0, full: false, sent: 0 };
    state.logs.set(slot, entry);
  }
  return entry;
}

// Output beyond the cap is dropped before formatting, so a flood costs little.
function record(level, args) {
  const entry = logsOf(state.current);
  if (entry.full) return;
  let line = format(args);
  if (level !== "log") line = `${level.toUpperCase()}: ${line}`;
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
