// Injected into every bundled module that names `Buffer`, as Node provides it.
export { Buffer } from "buffer";
