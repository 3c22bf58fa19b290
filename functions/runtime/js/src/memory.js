// The memory limit for what lives outside the V8 heap.
//
// ArrayBuffer backing stores are allocated outside the heap, and the isolate's hard
// memory limit (checked on the heap after each GC) never sees them: measured, 16 x
// 64 MiB Uint8Arrays or a 1 GiB WebAssembly.Memory ran to `success` under a 128 MB
// limit and took the process from 13 MB to 1.1 GB. So every way user code can get a
// new buffer goes through a budget of live bytes, the same size as the heap limit.
// When an allocation would go over it, a full GC runs (V8 starts with --expose-gc;
// the prelude keeps `gc` to itself) and buffers it freed are credited back (WeakRef).
// A WeakRef keeps its target alive until the crossing into V8 that made it ends, so
// buffers dropped within one crossing still count until it ends.
//
// WebAssembly is removed: a module declares its own memory, which no wrapper sees;
// SharedArrayBuffer cannot be constructed (its prototype stays for libraries).
// This module must be evaluated before any other (the Buffer polyfill captures the
// Uint8Array constructor it finds).

const { apply, construct, getPrototypeOf, setPrototypeOf, ownKeys, getOwnPropertyDescriptor } = Reflect;
const defineProperty = Object.defineProperty;
const NativeArray = Array;
const arrayFrom = Array.from;
const trunc = Math.trunc;
const iteratorKey = Symbol.iterator;
const NativeWeakRef = WeakRef;
const NativeRangeError = RangeError;
const NativeMap = Map;
const isFiniteNumber = Number.isFinite;
const toNumber = Number;
const { max, round } = Math;
const deref = WeakRef.prototype.deref;
const mapSet = Map.prototype.set;
const mapDelete = Map.prototype.delete;
const mapForEach = Map.prototype.forEach;
const mapSize = Object.getOwnPropertyDescriptor(Map.prototype, "size").get;
const accounted = new WeakSet();
const weakAdd = WeakSet.prototype.add;
const weakHas = WeakSet.prototype.has;
const collect = typeof globalThis.gc === "function" ? globalThis.gc : () => {};
// --expose-gc makes `gc` non-configurable: it can only be emptied, not deleted.
if ("gc" in globalThis) defineProperty(globalThis, "gc", { value: undefined, writable: false });

function getter(proto, name) {
  return Object.getOwnPropertyDescriptor(proto, name).get;
}
const TypedArray = getPrototypeOf(Uint8Array);
const bufferByteLength = getter(ArrayBuffer.prototype, "byteLength");
const bufferMaxByteLength = getter(ArrayBuffer.prototype, "maxByteLength");
const viewBuffer = getter(TypedArray.prototype, "buffer");
const viewByteLength = getter(TypedArray.prototype, "byteLength");
const viewLength = getter(TypedArray.prototype, "length");
// V8 keeps typed arrays this small inside the heap (--typed-array-max-size-in-heap).
const ON_HEAP = 64;

let budget = 128 * 1024 * 1024;
let live = 0;
let locked = false;
// Buffers charged so far: WeakRef -> bytes.
const tracked = new NativeMap();
let sweepAbove = 1024;

// Set by Python before user code loads; fixed from then on.
export function setMemoryBudget(bytes, lock) {
  if (locked) throw new TypeError("the memory budget is fixed once user code has loaded");
  budget = toNumber(bytes);
  locked = Boolean(lock);
}

function refuse() {
  const err = new NativeRangeError(`The function used more than its ${round(budget / 1048576)} MB memory limit`);
  defineProperty(err, "name", { value: "MemoryLimitExceeded", configurable: true, writable: true });
  return err;
}

function tryGet(get, value) {
  try {
    return apply(get, value, []);
  } catch {
    return undefined;
  }
}

function isBuffer(value) {
  return tryGet(bufferByteLength, value) !== undefined;
}

function sweep() {
  apply(mapForEach, tracked, [(bytes, ref) => {
    if (apply(deref, ref, []) === undefined) {
      apply(mapDelete, tracked, [ref]);
      live -= bytes;
    }
  }]);
  sweepAbove = max(1024, apply(mapSize, tracked, []) * 2);
}

function reserve(bytes) {
  if (live + bytes <= budget) return;
  collect();
  sweep();
  if (live + bytes > budget) throw refuse();
}

// Charges a buffer's bytes (once) or throws; the buffer is then unreachable garbage.
function account(buffer) {
  if (apply(weakHas, accounted, [buffer])) return;
  const bytes = max(apply(bufferByteLength, buffer, []), tryGet(bufferMaxByteLength, buffer) || 0);
  if (bytes <= ON_HEAP) return;
  reserve(bytes);
  live += bytes;
  apply(weakAdd, accounted, [buffer]);
  apply(mapSet, tracked, [new NativeWeakRef(buffer), bytes]);
  if (apply(mapSize, tracked, []) > sweepAbove) sweep();
}

function accountView(view) {
  if (view === null || typeof view !== "object") return;
  const bytes = tryGet(viewByteLength, view);
  if (bytes === undefined) {
    if (isBuffer(view)) account(view);
    return;
  }
  if (bytes > ON_HEAP) account(apply(viewBuffer, view, []));
}

function precheck(bytes) {
  if (isFiniteNumber(bytes) && bytes > ON_HEAP) reserve(bytes);
}

// Array-likes are read once, here, so a `length` getter cannot report one size to
// this check and another to the constructor; iterables are collected on the heap.
function snapshot(source, size) {
  if (source[iteratorKey] != null) return apply(arrayFrom, NativeArray, [source]);
  const length = max(0, trunc(toNumber(source.length)) || 0);
  precheck(length * size);
  const copy = new NativeArray(length);
  for (let i = 0; i < length; i++) defineProperty(copy, i, { value: source[i], writable: true, enumerable: true, configurable: true });
  return copy;
}

// A plain function in front of each constructor (a Proxy's construct trap made
// crypto-heavy handlers ~3x slower: V8 optimizes this, not that).
function guarded(Native, check) {
  const Guarded = function (...args) {
    if (new.target === undefined) throw new TypeError(`Constructor ${Native.name} requires 'new'`);
    return check(args, new.target === Guarded ? Native : new.target);
  };
  defineProperty(Guarded, "name", { value: Native.name });
  defineProperty(Guarded, "length", { value: Native.length });
  Guarded.prototype = Native.prototype;
  setPrototypeOf(Guarded, getPrototypeOf(Native));
  for (const key of ownKeys(Native)) {
    if (key !== "prototype" && key !== "name" && key !== "length") defineProperty(Guarded, key, getOwnPropertyDescriptor(Native, key));
  }
  return Guarded;
}

function guardBuffer(Native) {
  return guarded(Native, (args, newTarget) => {
    const options = args[1];
    const limit = options !== null && typeof options === "object" ? toNumber(options.maxByteLength) : 0;
    precheck(max(toNumber(args[0]) || 0, limit || 0));
    const made = construct(Native, args, newTarget);
    account(made);
    return made;
  });
}

function guardView(Native) {
  const size = Native.BYTES_PER_ELEMENT;
  return guarded(Native, (args, newTarget) => {
    let source = args[0];
    if (source !== null && typeof source === "object") {
      if (isBuffer(source)) return construct(Native, args, newTarget);
      const length = tryGet(viewLength, source);
      if (length === undefined) {
        source = snapshot(source, size);
        args = [source];
        precheck(source.length * size);
      } else {
        precheck(length * size);
      }
    } else {
      const bytes = (toNumber(source) || 0) * size;
      // The common case, kept cheap: a small array by length (inside the heap).
      if (bytes <= ON_HEAP) return construct(Native, args, newTarget);
      precheck(bytes);
    }
    const made = construct(Native, args, newTarget);
    accountView(made);
    return made;
  });
}

// Methods that return a new buffer without going through a (replaceable) constructor.
function guardResult(owner, name) {
  const original = owner[name];
  if (typeof original !== "function") return;
  const guarded = {
    [name](...args) {
      const made = apply(original, this, args);
      accountView(made);
      return made;
    },
  }[name];
  defineProperty(owner, name, { value: guarded, writable: true, configurable: true, enumerable: false });
}

function install(name, guard) {
  const Native = globalThis[name];
  if (typeof Native !== "function") return;
  const guarded = guard(Native);
  defineProperty(Native.prototype, "constructor", { value: guarded, writable: true, configurable: true, enumerable: false });
  defineProperty(globalThis, name, { value: guarded, writable: true, configurable: true, enumerable: false });
}

const VIEWS = [
  "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array",
  "Uint32Array", "Float16Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array",
];

for (const name of ["slice", "transfer", "transferToFixedLength"]) guardResult(ArrayBuffer.prototype, name);
for (const name of ["slice", "map", "filter", "toReversed", "toSorted", "with"]) guardResult(TypedArray.prototype, name);
for (const name of ["fromBase64", "fromHex"]) guardResult(Uint8Array, name);
install("ArrayBuffer", guardBuffer);
for (const name of VIEWS) install(name, guardView);
install("SharedArrayBuffer", (Native) => guarded(Native, () => {
  // Libraries (whatwg-url) read its prototype; nothing needs to make one.
  throw new TypeError("SharedArrayBuffer is not available in functions");
}));
delete globalThis.WebAssembly;
