// The product's five error classes. `name` is what users (and the status table) see.
function errorClass(name) {
  const cls = class extends Error {
    constructor(message) {
      super(message);
      this.name = name;
    }
  };
  Object.defineProperty(cls, "name", { value: name });
  return cls;
}

export const EventNotSupported = errorClass("EventNotSupported");
export const InvalidEventPayload = errorClass("InvalidEventPayload");
export const ValidationError = errorClass("ValidationError");
export const RetryError = errorClass("RetryError");
export const DropEvent = errorClass("DropEvent");

const STATUS_BY_NAME = {
  EventNotSupported: "unsupported_event_type",
  InvalidEventPayload: "message_rejected",
  ValidationError: "message_rejected",
  RetryError: "retry",
  DropEvent: "dropped",
};

export function statusOfError(err) {
  const name = err && typeof err === "object" ? String(err.name) : "";
  return Object.prototype.hasOwnProperty.call(STATUS_BY_NAME, name) ? STATUS_BY_NAME[name] : "bad_request";
}

export function describeError(err) {
  if (err instanceof Error || (err && typeof err === "object" && "message" in err)) {
    let type = "Error";
    try { type = String(err.name || (err.constructor && err.constructor.name) || "Error"); } catch { /* hostile getter */ }
    let message = "";
    try { message = String(err.message); } catch { message = "(unreadable error message)"; }
    return { type, message, stack: userFrames(err) };
  }
  let message;
  try { message = String(err); } catch { message = "(unprintable value)"; }
  return { type: "Error", message };
}

// Only the frames of the user's own script (named function.js by the sandbox).
function userFrames(err) {
  let stack;
  try { stack = String(err.stack || ""); } catch { return ""; }
  return stack.split("\n").filter((line) => /^\s+at .*function\.js:\d+/.test(line)).join("\n");
}
