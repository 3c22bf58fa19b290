// For the library bundles evaluated after the prelude: the prelude's own Buffer (one
// class, so `Buffer.isBuffer` holds across bundles), never a second copy.
export const Buffer = globalThis.__functions_driver.Buffer;

// The little of Node's `process` the libraries touch (xml and form-data defer callbacks
// with nextTick); user code has no `process`.
export const process = Object.freeze({
  nextTick: (fn, ...args) => {
    Promise.resolve().then(() => fn(...args));
  },
  env: Object.freeze({}),
});
