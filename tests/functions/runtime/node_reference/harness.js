// The reference side of the differential test: one function run the way the product's
// Node.js runtime ran it. One warm module (the code evaluated once as a global script),
// one invocation at a time, the product's globals (node-fetch 2.7.0 as fetch, lodash as
// _, form-data, xml, OAuth, atob/btoa, Node's crypto, Buffer, timers, URL, the five
// error classes). Reads {code, kind, events, settings} as JSON on stdin and prints
// {results: [{status, error, output, logs}]}.
"use strict";
const util = require("util");
const vm = require("vm");

const fetch = require("node-fetch");

class ProductError extends Error {}
function errorClass(name) {
  const cls = class extends ProductError {
    constructor(message) {
      super(message);
      this.name = name;
    }
  };
  Object.defineProperty(cls, "name", { value: name });
  return cls;
}
const STATUS_BY_NAME = {
  EventNotSupported: "unsupported_event_type",
  InvalidEventPayload: "message_rejected",
  ValidationError: "message_rejected",
  RetryError: "retry",
  DropEvent: "dropped",
};
const HANDLERS = {
  identify: "onIdentify", track: "onTrack", page: "onPage", screen: "onScreen",
  group: "onGroup", alias: "onAlias", delete: "onDelete",
};

let lines = [];
const capture = (...args) => { lines.push(util.format(...args)); };

const globals = {
  fetch,
  Headers: fetch.Headers,
  Request: fetch.Request,
  Response: fetch.Response,
  FetchError: fetch.FetchError,
  _: require("lodash"),
  atob: require("atob"),
  btoa: require("btoa"),
  crypto: require("crypto"),
  FormData: require("form-data"),
  xml: require("xml"),
  OAuth: require("oauth-1.0a"),
  window: globalThis,
  console: { log: capture, info: capture, warn: capture, error: capture, debug: capture, trace: capture },
};
for (const name of Object.keys(STATUS_BY_NAME)) globals[name] = errorClass(name);
for (const [name, value] of Object.entries(globals)) {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}

function describe(err) {
  if (err && typeof err === "object" && "message" in err) {
    return { type: String(err.name || (err.constructor && err.constructor.name) || "Error"), message: String(err.message) };
  }
  return { type: "Error", message: String(err) };
}

function outcome(kind, value) {
  if (kind !== "insert") return { status: "success", error: null, output: null };
  if (value === undefined || value === null) return { status: "filtered", error: null, output: null };
  if (typeof value !== "object" || Array.isArray(value)) {
    return { status: "bad_request", error: { type: "TypeError", message: "An insert function must return an event object (or nothing to filter it)" }, output: null };
  }
  return { status: "success", error: null, output: JSON.parse(JSON.stringify(value)) };
}

async function invoke(handlers, kind, event, settings) {
  const handler = handlers[HANDLERS[event.type]];
  if (!handler) return { status: "unsupported_event_type", error: { type: "EventNotSupported", message: `${event.type} is not supported` }, output: null };
  try {
    return outcome(kind, await handler(event, JSON.parse(JSON.stringify(settings))));
  } catch (err) {
    const name = err && typeof err === "object" ? String(err.name) : "";
    const status = Object.prototype.hasOwnProperty.call(STATUS_BY_NAME, name) ? STATUS_BY_NAME[name] : "bad_request";
    return { status, error: describe(err), output: null };
  }
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const { code, kind, events, settings } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  new vm.Script(code, { filename: "function.js" }).runInThisContext();
  const handlers = {};
  for (const name of [...Object.values(HANDLERS), "onBatch"]) {
    handlers[name] = vm.runInThisContext(`typeof ${name} === "function" ? ${name} : undefined`);
  }
  const results = [];
  for (const event of events) {
    lines = [];
    const result = await invoke(handlers, kind, event, settings || {});
    results.push({ ...result, logs: lines });
  }
  process.stdout.write(JSON.stringify({ results }) + "\n", () => process.exit(0));
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack) + "\n");
  process.exit(2);
});
