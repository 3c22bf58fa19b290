// The driver Python talks to: one `start` per run, then `step`s that hand Python the
// accumulated results, requests and timers and deliver the responses for one slot.
// Everything a handler does between two crossings happens inside V8.
import { describeError, statusOfError } from "./errors.js";
import { drainLogs } from "./console.js";
import { settleFetch } from "./fetch.js";
import { fireTimer } from "./timers.js";
import { reseed } from "./crypto.js";
import { provide } from "./lazy.js";
import { setMemoryBudget } from "./memory.js";
import { isWaiting, resetState, state } from "./state.js";

const HANDLERS = {
  identify: "onIdentify", track: "onTrack", page: "onPage", screen: "onScreen",
  group: "onGroup", alias: "onAlias", delete: "onDelete",
};
const HANDLER_NAMES = [...Object.values(HANDLERS), "onBatch"];
// Microtask turns one event gets before the next one starts, so that its console output
// is attributed to it; a handler waiting on fetch or a timer yields immediately.
const FENCE = 64;

const globalEval = eval;
const parse = JSON.parse;
const stringify = JSON.stringify;
let run = null;

// User code is its own script: its top-level declarations are globals or live in the
// global lexical scope, which only code compiled in the global scope can see.
function lookupHandlers() {
  const found = {};
  for (const name of HANDLER_NAMES) {
    found[name] = globalEval(`typeof ${name} === "function" ? ${name} : undefined`);
  }
  return found;
}

function settle(slot, status, error, output) {
  if (run.settled.has(slot)) return;
  run.settled.add(slot);
  run.out.push(`{"i":${slot},"status":"${status}","error":${error ? stringify(error) : "null"},"output":${output ?? "null"}}`);
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

function settleValue(slot, value) {
  if (run.kind !== "insert") return settle(slot, "success", null, null);
  if (value === undefined || value === null) return settle(slot, "filtered", null, null);
  if (typeof value !== "object" || Array.isArray(value)) {
    return settle(slot, "bad_request", { type: "TypeError", message: "An insert function must return an event object (or nothing to filter it)" }, null);
  }
  const { json, error } = serialize(value);
  return error ? settle(slot, "bad_request", error, null) : settle(slot, "success", null, json);
}

function invokeOne(i) {
  state.current = i;
  const event = run.events[i];
  const type = event && typeof event === "object" ? event.type : undefined;
  const handler = run.handlers[HANDLERS[type]];
  if (!handler) {
    return settle(i, "unsupported_event_type", { type: "EventNotSupported", message: `${type} is not supported` }, null);
  }
  let promise;
  try {
    promise = Promise.resolve(handler(event, parse(run.settingsJson)));
  } catch (err) {
    return settleError(i, err);
  }
  promise.then((value) => settleValue(i, value), (err) => settleError(i, err));
}

async function startEach() {
  for (let i = 0; i < run.events.length; i++) {
    invokeOne(i);
    for (let turn = 0; turn < FENCE && !run.settled.has(i) && !isWaiting(i); turn++) await undefined;
  }
}

function settleAll(status, error) {
  run.events.forEach((_, i) => settle(i, status, error, null));
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

function start(inputJson) {
  const input = parse(inputJson);
  resetState(input.limits);
  reseed(input.seed);
  run = {
    events: input.events,
    settingsJson: stringify(input.settings ?? {}),
    kind: input.kind,
    handlers: lookupHandlers(),
    settled: new Set(),
    out: [],
  };
  if (input.batch && run.handlers.onBatch) {
    state.maxFetches = Math.max(state.maxFetches, run.events.length);
    startBatch();
  } else {
    startEach();
  }
}

function collect() {
  const out = `{"settled":[${run.out.join(",")}],"fetches":${stringify(state.outbox)},"timers":${stringify(state.timers)},"logs":${stringify(drainLogs())}}`;
  run.out = [];
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
  for (const item of input.resolutions) {
    if (item.kind === "timer") fireTimer(item.id);
    else settleFetch(item);
  }
  return out;
}

export const driver = Object.freeze({ start, step, seed: reseed, provide, memory: setMemoryBudget });
