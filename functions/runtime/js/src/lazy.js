// Libraries that Python evaluates into a context only when its code names them.
const provided = new Map();

// `null` marks a library being evaluated: lodash reads `globalThis._` while it loads.
export function provide(name, module) {
  if (!provided.get(name)) provided.set(name, module);
}

function required(name, global) {
  if (!provided.has(name)) throw new ReferenceError(`${global} is not available: refer to it by name in the function's code`);
  return provided.get(name);
}

// A global resolved on first access that user code may also reassign.
export function defineLazyGlobal(global, library, pick) {
  const settle = (value) => {
    Object.defineProperty(globalThis, global, { value, writable: true, configurable: true, enumerable: false });
    return value;
  };
  Object.defineProperty(globalThis, global, {
    configurable: true,
    enumerable: false,
    get: () => {
      const module = required(library, global);
      return module === null ? undefined : settle(pick(module));
    },
    set: settle,
  });
}
