// cache.load / cache.delete: process-local, per warm context, bounded in size.
const entries = new Map();
const MAX_ENTRIES = 1000;

function isFresh(entry, now) {
  return entry.expires === Infinity || entry.expires > now;
}

function evictOldest() {
  while (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value);
}

function load(key, ttl, fn) {
  if (typeof ttl === "function") [ttl, fn] = [undefined, ttl];
  if (typeof fn !== "function") return Promise.reject(new TypeError("cache.load needs an async function to compute the value"));
  const k = String(key);
  const now = Date.now();
  const hit = entries.get(k);
  if (hit && isFresh(hit, now)) {
    entries.delete(k);
    entries.set(k, hit);
    return hit.promise;
  }
  const ms = Number(ttl);
  const expires = ttl === undefined || ttl === null || ms < 0 ? Infinity : now + ms;
  const entry = { expires, promise: null };
  // Concurrent loads of one key share the in-flight promise; a failure is not cached.
  entry.promise = Promise.resolve().then(fn).catch((err) => {
    if (entries.get(k) === entry) entries.delete(k);
    throw err;
  });
  entries.set(k, entry);
  evictOldest();
  return entry.promise;
}

export const cache = Object.freeze({
  load,
  delete: (key) => { entries.delete(String(key)); },
});
