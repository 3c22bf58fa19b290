// The driver Python talks to: one `start` per run, then `step`s that hand Python the
// accumulated results, requests and timers and deliver the responses for one slot.
// Everything a handler does between two crossings happens inside V8.
import { describeError, statusOfError } from "./errors.js";
import { drainLogs } from "./console.js";
import { settleFetch } from "./fetch.js";
import { fireTimer } from "./timers.js";
import { crypto, reseed } from "./crypto.js";
import { Buffer } from "buffer";
import { provide } from "./lazy.js";
import { setMemoryBudget } from "./memory.js";
import { resetState, state } from "./state.js";

const HANDLERS = {
  identify: "onIdentify", track: "onTrack", page: "onPage", screen: "onScreen",
  group: "onGroup", alias: "onAlias", delete: "onDelete",
};
const HANDLER_NAMES = [...Object.values(HANDLERS), "onBatch"];

const globalEval = eval;
const parse = JSON.parse;
const stringify = JSON.stringify;
let run = null;

// User code is its own script: its top-level declarations are globals or live in the
// global lexical scope, which only code compiled in the global scope can see. One
// script looks them all up (one compilation per run, not one per name).
const LOOKUP = `[${HANDLER_NAMES.map((name) => `typeof ${name} === "function" ? ${name} : undefined`).join(",")}]`;

function lookupHandlers() {
  const values = globalEval(LOOKUP);
  const found = {};
  HANDLER_NAMES.forEach((name, k) => { found[name] = values[k]; });
  return found;
}

function settle(slot, status, error, output) {
  if (run.settled.has(slot)) return;
  run.settled.add(slot);
  if (status === "success" && typeof output === "string") {
    // An insert's success: two columns, event numbers and returned events. The events
    // are one text, a line each, built by string concatenation: no Array method the
    // function could have replaced touches them.
    run.ok.push(slot);
    run.outputs += "\n" + output;
  } else {
    run.out.push(`{"i":${slot},"status":"${status}","error":${error ? stringify(error) : "null"},"output":${output ?? "null"}}`);
  }
  if (slot === run.running) {
    run.running = null;
    if (!run.pumping) pump();
  }
}

function settleError(slot, err) {
  settle(slot, statusOfError(err), describeError(err), null);
}

function serialize(value) {
  try {
    return { json: stringify(value) };
  } catch (err) {
    return { error: { type: "TypeError", message: `The returned event is not serializable: ${describeError(err).message}` } };
  }
}

const NOT_AN_EVENT = Object.freeze({ type: "TypeError", message: "An insert function must return an event object (or nothing to filter it)" });

function settleValue(slot, value) {
  if (run.kind !== "insert") return settle(slot, "success", null, null);
  if (value === undefined || value === null) return settle(slot, "filtered", null, null);
  if (typeof value !== "object" || Array.isArray(value)) return settle(slot, "bad_request", NOT_AN_EVENT, null);
  const { json, error } = serialize(value);
  if (error) return settle(slot, "bad_request", error, null);
  // A toJSON that answers undefined: nothing to pass on, as before.
  if (json === undefined) return settle(slot, "success", null, null);
  // A toJSON can turn the object into anything; Python relies on each returned event's
  // text opening an object (indexing a string primitive calls nothing a function can hook).
  if (typeof json !== "string" || json[0] !== "{") return settle(slot, "bad_request", NOT_AN_EVENT, null);
  return settle(slot, "success", null, json);
}

function invokeOne(i, event) {
  state.current = i;
  const type = event && typeof event === "object" ? event.type : undefined;
  const handler = run.handlers[HANDLERS[type]];
  if (!handler) {
    return settle(i, "unsupported_event_type", { type: "EventNotSupported", message: `${type} is not supported` }, null);
  }
  let promise;
  try {
    // Each event gets its own copy of the settings.
    promise = Promise.resolve(handler(event, run.settingsJson === "{}" ? {} : parse(run.settingsJson)));
  } catch (err) {
    return settleError(i, err);
  }
  promise.then((value) => settleValue(i, value), (err) => settleError(i, err));
}

// One invocation at a time, as in one warm container of the product: the next event
// starts when the running one settles (in the same crossing if it needed no I/O).
// Concurrency comes from other contexts of the same version (Python's lanes).
// The queue is run.indices[run.next .. run.end).
function pump() {
  run.pumping = true;
  try {
    while (run.running === null && run.next < run.end) {
      const i = run.indices[run.next++];
      run.running = i;
      invokeOne(i, run.events[i]);
    }
  } finally {
    run.pumping = false;
  }
}

function settleAll(status, error) {
  run.indices.forEach((i) => settle(i, status, error, null));
}

function matchKept(kept) {
  const byMessageId = new Map();
  run.events.forEach((event, i) => {
    if (event && event.messageId !== undefined && !byMessageId.has(event.messageId)) byMessageId.set(event.messageId, i);
  });
  const taken = new Map();
  kept.forEach((item, k) => {
    const id = item && typeof item === "object" ? item.messageId : undefined;
    let i = byMessageId.get(id);
    if (i === undefined || taken.has(i)) i = k < run.events.length && !taken.has(k) ? k : undefined;
    if (i !== undefined) taken.set(i, item);
  });
  return taken;
}

function settleInsertBatch(value) {
  if (value === undefined || value === null) return settleAll("filtered", null);
  if (!Array.isArray(value)) {
    return settleAll("bad_request", { type: "TypeError", message: "onBatch of an insert function must return an array of events" });
  }
  const taken = matchKept(value);
  run.events.forEach((_, i) => {
    if (!taken.has(i)) return settle(i, "filtered", null, null);
    settleValue(i, taken.get(i));
  });
}

function statusFromCode(item) {
  const code = item && typeof item === "object" ? Number(item.status) : NaN;
  const message = item && item.errorMessage !== undefined ? String(item.errorMessage) : `HTTP status ${code}`;
  if (!Number.isFinite(code) || (code >= 200 && code < 300)) return ["success", null];
  if (code === 429 || code >= 500) return ["retry", { type: "RetryError", message }];
  return ["bad_request", { type: "BadRequest", message }];
}

function settleDestinationBatch(value) {
  const items = Array.isArray(value) ? value : [];
  run.events.forEach((_, i) => {
    const [status, error] = statusFromCode(items[i]);
    settle(i, status, error, null);
  });
}

function startBatch() {
  state.current = "batch";
  const onSettled = run.kind === "insert" ? settleInsertBatch : settleDestinationBatch;
  const onError = (err) => settleAll(statusOfError(err), describeError(err));
  let promise;
  try {
    promise = Promise.resolve(run.handlers.onBatch(run.events, parse(run.settingsJson)));
  } catch (err) {
    return onError(err);
  }
  promise.then(onSettled, onError);
}

// `input.indices` are the run's event numbers this context was given (all of them, in
// order, when null); results use those numbers.
function start(inputJson) {
  const input = parse(inputJson);
  resetState(input.limits);
  reseed(input.seed);
  let events = input.events;
  let indices;
  if (input.indices) {
    indices = input.indices;
    events = [];
    indices.forEach((i, k) => { events[i] = input.events[k]; });
  } else {
    indices = events.map((_, i) => i);
  }
  run = {
    events,
    indices,
    settingsJson: stringify(input.settings ?? {}),
    kind: input.kind,
    handlers: lookupHandlers(),
    settled: new Set(),
    out: [],
    ok: [],
    outputs: "",
    next: 0,
    end: indices.length,
    running: null,
    pumping: false,
  };
  const onBatch = Boolean(input.batch && run.handlers.onBatch);
  if (onBatch) {
    run.events = input.events;
    run.next = run.end;
    state.maxFetches = Math.max(state.maxFetches, input.events.length);
    startBatch();
  } else {
    pump();
  }
  return stringify({ onBatch });
}

// The step's JSON on its first line; then the returned events of `ok`, one JSON text per
// line, for Python to keep as text (JSON.stringify never writes a raw line break).
function collect() {
  const head = `{"settled":[${run.out.join(",")}],"ok":[${run.ok.join(",")}],"fetches":${stringify(state.outbox)},"timers":${stringify(state.timers)},"logs":${stringify(drainLogs())},"running":${stringify(run.running)},"queued":${run.end - run.next}}`;
  const out = head + run.outputs;
  run.out = [];
  run.ok = [];
  run.outputs = "";
  state.outbox = [];
  state.timers = [];
  return out;
}

// Returns what happened since the previous step, then delivers `resolutions` (all for
// one slot); their continuations run when this crossing's microtasks drain.
function step(inputJson) {
  const input = parse(inputJson);
  const out = collect();
  if (input.seed) reseed(input.seed);
  // The running event went over its time limit: it ends as a timeout and the next one
  // starts; whatever it still had in flight settles into nothing.
  if (input.expire !== undefined && input.expire === run.running) settle(input.expire, input.expireStatus, input.expireError, null);
  for (const item of input.resolutions) {
    if (item.kind === "timer") fireTimer(item.id);
    else settleFetch(item);
  }
  return out;
}

// Hands back up to `count` events not started yet (from the end of the queue), for
// another context of the same version to run.
function release(count) {
  const from = Math.max(run.end - count, run.next);
  const taken = run.indices.slice(from, run.end);
  run.end = from;
  return stringify(taken.map((i) => ({ i, event: run.events[i] })));
}

// A long input reaches the driver through this inbox: Python writes `input`, then runs
// the short script `fromInbox(name)`. V8's compilation cache never sees the long text
// (it compares long sources of one length in full), and no argument list is built.
// No prototype and sealed, with `input` a plain data property: nothing can hook the
// write or the read.
const inbox = Object.seal(Object.create(null, { input: { value: null, writable: true, enumerable: true } }));
const INBOX_TAKERS = { start, step };

function fromInbox(name) {
  const input = inbox.input;
  inbox.input = null;
  if (typeof input !== "string" || !Object.prototype.hasOwnProperty.call(INBOX_TAKERS, name)) {
    throw new TypeError("the driver's inbox holds no input for " + name);
  }
  return INBOX_TAKERS[name](input);
}

// Buffer and crypto: the one copy that library bundles loaded later share.
export const driver = Object.freeze({
  start,
  inbox,
  fromInbox,
  step,
  release,
  seed: reseed,
  provide,
  memory: setMemoryBudget,
  Buffer,
  crypto,
});
