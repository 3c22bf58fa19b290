// The Settings tab: the list of settings, and the Add Setting dialog with its live preview.
import { IDENTIFIER, TYPE_LABELS, identifierFrom } from "./settings-schema.js";
import { el, settingField } from "./setting-field.js";

export function settingsBuilder(schema, { mayEdit }) {
  const list = document.getElementById("settings-list");
  const render = () => {
    list.replaceChildren();
    if (!schema.settings.length) list.append(el("li", { class: "help" }, "No settings yet."));
    schema.settings.forEach((setting, index) => list.append(settingItem(setting, index)));
  };
  const settingItem = (setting, index) => {
    const item = el("li", { class: "fn-setting" });
    const head = el("div", { class: "fn-setting-head" });
    head.append(el("strong", {}, setting.label || setting.name));
    if (setting.required) head.append(el("span", { class: "fn-required" }, "REQUIRED"));
    if (setting.sensitive) head.append(el("span", { class: "fn-encrypted" }, "ENCRYPTED"));
    item.append(head, el("code", {}, setting.name), el("span", { class: "fn-meta" }, ` ${TYPE_LABELS[setting.type]}`));
    if (setting.description) item.append(el("p", { class: "help" }, setting.description));
    if (mayEdit) {
      const edit = el("button", { type: "button", class: "button fn-small", "aria-label": `Edit ${setting.label}` }, "Edit");
      const remove = el("button", { type: "button", class: "button fn-small fn-danger", "aria-label": `Delete ${setting.label}` }, "Delete");
      edit.addEventListener("click", () => dialog.open(index));
      remove.addEventListener("click", () => schema.remove(index));
      const actions = el("div", { class: "fn-setting-actions" });
      actions.append(edit, remove);
      item.append(actions);
    }
    return item;
  };
  schema.onChange(render);
  render();
  const dialog = mayEdit ? settingDialog(schema) : null;
  if (dialog) document.getElementById("add-setting").addEventListener("click", () => dialog.open(null));
}

function settingDialog(schema) {
  const $ = (id) => document.getElementById(id);
  const dialog = $("setting-dialog");
  const fields = {
    label: $("setting-label"), name: $("setting-name"), type: $("setting-type"),
    description: $("setting-description"), required: $("setting-required"), sensitive: $("setting-sensitive"),
  };
  let editing = null;
  let nameTouched = false;

  const current = () => ({
    name: fields.name.value.trim(),
    label: fields.label.value.trim(),
    description: fields.description.value.trim(),
    type: fields.type.value,
    required: fields.required.checked,
    sensitive: fields.sensitive.checked,
  });
  const preview = () => {
    const setting = current();
    $("setting-name-echo").textContent = setting.name || "name";
    $("setting-preview").replaceChildren(settingField({ ...setting, label: setting.label || "Label" }, "preview"));
  };
  const problem = (setting) => {
    if (!setting.label) return "Label is required.";
    if (!IDENTIFIER.test(setting.name)) return "Name must be a valid identifier: letters, digits, _ or $, not starting with a digit.";
    const clash = schema.settings.findIndex((s) => s.name === setting.name);
    if (clash >= 0 && clash !== editing) return `A setting named ${setting.name} already exists.`;
    return "";
  };

  fields.label.addEventListener("input", () => {
    if (!nameTouched) fields.name.value = identifierFrom(fields.label.value);
    preview();
  });
  fields.name.addEventListener("input", () => { nameTouched = true; preview(); });
  for (const key of ["type", "description", "required", "sensitive"]) {
    fields[key].addEventListener("input", preview);
    fields[key].addEventListener("change", preview);
  }
  $("setting-cancel").addEventListener("click", () => dialog.close());
  $("setting-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const setting = current();
    const message = problem(setting);
    $("setting-error").hidden = !message;
    $("setting-error").textContent = message;
    if (message) return;
    schema.put(setting, editing);
    dialog.close();
  });

  return {
    open(index) {
      editing = index;
      const setting = index === null ? { type: "STRING" } : schema.settings[index];
      fields.label.value = setting.label || "";
      fields.name.value = setting.name || "";
      fields.type.value = setting.type || "STRING";
      fields.description.value = setting.description || "";
      fields.required.checked = Boolean(setting.required);
      fields.sensitive.checked = Boolean(setting.sensitive);
      nameTouched = index !== null;
      $("setting-dialog-title").textContent = index === null ? "Add Setting" : "Edit Setting";
      $("setting-submit").textContent = index === null ? "Add Setting" : "Save Setting";
      $("setting-error").hidden = true;
      preview();
      dialog.showModal();
      fields.label.focus();
    },
  };
}
