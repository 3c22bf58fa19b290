// Globals of the product's runtime that only make sense there.

// `Segment.track(...)` and friends emit events from *source* functions; a destination
// or insert function that calls them gets a clear error instead of a silent no-op.
function emitter(method) {
  return () => {
    throw new Error(`Segment.${method}() is only available in source functions`);
  };
}
export const Segment = Object.freeze(
  Object.fromEntries(["identify", "track", "group", "page", "screen", "alias", "set"].map((m) => [m, emitter(m)])),
);

// A global the product had and this runtime deliberately lacks: naming it throws a
// ReferenceError that says what is missing, like an undeclared name but explicit.
// User code may still define it itself (`var AWS = ...` or assignment).
export function missingGlobal(name, message) {
  const settle = (value) => {
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
  };
  Object.defineProperty(globalThis, name, {
    configurable: true,
    enumerable: false,
    get: () => {
      throw new ReferenceError(message);
    },
    set: settle,
  });
}
