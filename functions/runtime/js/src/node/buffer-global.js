// Injected into the prelude's bundled modules for the free names they expect from Node.
// The memory guards first: the Buffer polyfill captures the Uint8Array it finds, and an
// injected module is evaluated before the prelude's own imports.
import "../memory.js";
export { Buffer } from "buffer";

// node-inspect-extracted reads the global URL when it loads its path helpers (while
// inspecting a class instance, say); the sandbox's URL is only evaluated into contexts
// whose code names it, so this stand-in defers to it at call time.
export function URL(...args) {
  return new globalThis.URL(...args);
}
