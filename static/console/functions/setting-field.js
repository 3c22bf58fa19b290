// One setting as whoever configures the function fills it in: used by the Test tab's
// settings form and by the Add Setting preview.
import { TYPE_LABELS } from "./settings-schema.js";

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? "" : value);
  }
  if (text) node.textContent = text;
  return node;
}

function control(setting, id) {
  if (setting.type === "BOOLEAN") return el("input", { type: "checkbox", id, name: setting.name });
  if (setting.type === "ARRAY" || setting.type === "TEXT_MAP") {
    const hint = setting.type === "ARRAY" ? "One value per line" : "One key: value per line";
    return el("textarea", { id, name: setting.name, rows: 3, placeholder: hint });
  }
  return el("input", {
    id,
    name: setting.name,
    type: setting.sensitive ? "password" : "text",
    autocomplete: setting.sensitive ? "new-password" : "off",
    placeholder: setting.sensitive ? "Kept encrypted; never shown again" : undefined,
  });
}

export function settingField(setting, prefix) {
  const id = `${prefix}-${setting.name}`;
  const wrap = el("div", { class: "fn-field" });
  const label = el("label", { for: id }, setting.label || setting.name);
  if (setting.required) label.append(" ", el("span", { class: "fn-required" }, "REQUIRED"));
  wrap.append(label);
  if (setting.description) wrap.append(el("p", { class: "help" }, setting.description));
  const input = control(setting, id);
  if (setting.type === "BOOLEAN") {
    label.prepend(input, " ");
  } else {
    wrap.append(input);
  }
  const meta = `${TYPE_LABELS[setting.type] || setting.type}${setting.sensitive ? " · encrypted" : ""}`;
  wrap.append(el("p", { class: "fn-meta" }, meta));
  return wrap;
}

/** The typed value of a field, or undefined when left empty. */
export function fieldValue(setting, input) {
  if (!input) return undefined;
  if (setting.type === "BOOLEAN") return input.checked;
  const text = input.value;
  if (!text.trim()) return undefined;
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  if (setting.type === "ARRAY") return lines;
  if (setting.type === "TEXT_MAP") {
    const map = {};
    for (const line of lines) {
      const at = line.indexOf(":");
      if (at < 0) map[line] = "";
      else map[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
    return map;
  }
  return text;
}

export { el };
