// Everything a function's code can see besides the ECMAScript built-ins.
// First: it wraps the binary-memory constructors before any library captures them.
import "./memory.js";
import { Buffer } from "buffer";
import "fastestsmallesttextencoderdecoder";
// The product ships atob 2.1.2 / btoa 1.2.1 (Node builds, over Buffer).
import atob from "atob/node-atob.js";
import btoa from "btoa";
import { defineLazyGlobal } from "./lazy.js";
import * as errors from "./errors.js";
import { console } from "./console.js";
import { cache } from "./cache.js";
import { crypto } from "./crypto.js";
import { clearInterval, clearTimeout, setInterval, setTimeout } from "./timers.js";
import { FetchError, Headers, Request, Response, fetch } from "./fetch.js";
import { driver } from "./driver.js";
import { Segment, missingGlobal } from "./product.js";

const fixed = {
  Buffer, atob, btoa, console, cache, crypto,
  fetch, Headers, Request, Response, FetchError, Segment,
  setInterval, clearInterval,
  EventNotSupported: errors.EventNotSupported,
  InvalidEventPayload: errors.InvalidEventPayload,
  ValidationError: errors.ValidationError,
  RetryError: errors.RetryError,
  DropEvent: errors.DropEvent,
};
for (const [name, value] of Object.entries(fixed)) {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}

defineLazyGlobal("_", "lodash", (m) => m.default);
defineLazyGlobal("moment", "moment", (m) => m.default);
defineLazyGlobal("URL", "url", (m) => m.URL);
defineLazyGlobal("URLSearchParams", "url", (m) => m.URLSearchParams);
defineLazyGlobal("xml", "xml", (m) => m.default);
defineLazyGlobal("OAuth", "oauth", (m) => m.default);
defineLazyGlobal("FormData", "formdata", (m) => m.default);
// The product's shim ran handlers with `window` naming the global object.
Object.defineProperty(globalThis, "window", { value: globalThis, writable: true, configurable: true, enumerable: false });
missingGlobal("AWS", "aws-sdk (the AWS global) is not available in this runtime: call AWS APIs with fetch (SigV4-signed requests)");

// mini-racer declares its own timers with `var` (not configurable); ours are driven by
// Python instead, and its manager must not stay reachable.
globalThis.setTimeout = setTimeout;
globalThis.clearTimeout = clearTimeout;
globalThis.__timer_manager = undefined;

// The only door Python uses; user code can neither replace nor delete it.
Object.defineProperty(globalThis, "__functions_driver", {
  value: driver, writable: false, configurable: false, enumerable: false,
});
