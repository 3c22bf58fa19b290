// The settings of the function being edited, shared by the Settings tab and the Test tab.
export const TYPE_LABELS = { STRING: "String", BOOLEAN: "Boolean", ARRAY: "Array", TEXT_MAP: "Text map" };

export class SettingsSchema {
  constructor(settings) {
    this.settings = settings.map((s) => ({ ...s }));
    this.listeners = [];
  }
  onChange(fn) { this.listeners.push(fn); }
  changed() { for (const fn of this.listeners) fn(this.settings); }
  put(setting, index) {
    if (index === null || index === undefined) this.settings.push(setting);
    else this.settings[index] = setting;
    this.changed();
  }
  remove(index) { this.settings.splice(index, 1); this.changed(); }
  toJSON() { return this.settings; }
}

/** A code identifier from a label: "API Key" -> "apiKey". */
export function identifierFrom(label) {
  const words = label.normalize("NFKD").replace(/[^\w\s$]/g, " ").trim().split(/[\s_]+/).filter(Boolean);
  // Acronyms read as words: "API Token" -> "apiToken", "User ID" -> "userId".
  const word = (w) => (w.length > 1 && w === w.toUpperCase() ? w.toLowerCase() : w);
  const name = words
    .map(word)
    .map((w, i) => (i === 0 ? w.charAt(0).toLowerCase() + w.slice(1) : w.charAt(0).toUpperCase() + w.slice(1)))
    .join("");
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

export const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
