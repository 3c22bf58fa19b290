// The Test tab: pick a sample event or type a payload, fill test settings, Run, see Output.
import { getJSON, postJSON, errorText } from "./api.js";
import { el, fieldValue, settingField } from "./setting-field.js";
import { renderOutput, renderProblem } from "./test-output.js";

export function testPanel({ config, schema, code, jsonEditor }) {
  const $ = (id) => document.getElementById(id);
  const payload = jsonEditor($("payload-editor"), {
    doc: JSON.stringify(config.samples.track, null, 2),
    label: "Payload",
    onRun: () => run(),
  });
  const showManual = () => { $("manual-input").hidden = false; };

  $("manual-mode").addEventListener("click", (event) => { event.preventDefault(); showManual(); payload.view.focus(); });
  $("use-sample").addEventListener("click", () => { $("sample-picker").hidden = false; loadSource(); });

  const sourceSelect = $("sample-source");
  sourceSelect.append(el("option", { value: "" }, "Sample events (one per type)"));
  for (const source of config.sources) sourceSelect.append(el("option", { value: source.id }, source.name));
  sourceSelect.addEventListener("change", () => loadSource());
  let offered = [];
  $("sample-event").addEventListener("change", () => choose($("sample-event").value));

  async function loadSource() {
    const id = sourceSelect.value;
    let events = [];
    $("sample-note").textContent = "";
    if (id) {
      const result = await getJSON(`${config.urls.samples}?source=${encodeURIComponent(id)}`);
      if (!result.ok) $("sample-note").textContent = errorText(result);
      else events = result.data.events;
      if (result.ok && !events.length) $("sample-note").textContent = "No recent events from this source: here is a sample event of each type.";
    }
    const real = events.length > 0;
    offered = real ? events : Object.values(config.samples);
    const select = $("sample-event");
    select.replaceChildren(el("option", { value: "" }, "Choose an event…"));
    offered.forEach((event, index) => {
      const type = event.type || "event";
      const text = real
        ? [type, event.event || event.name || "", event.timestamp || event.receivedAt || ""].filter(Boolean).join(" · ")
        : `Sample ${type} event`;
      select.append(el("option", { value: String(index) }, text));
    });
  }
  function choose(index) {
    if (index === "") return;
    payload.value = JSON.stringify(offered[Number(index)], null, 2);
    showManual();
  }

  const settingsBox = $("test-settings-fields");
  // Enter in a test setting runs instead of submitting the form.
  $("test-settings").addEventListener("submit", (event) => { event.preventDefault(); run(); });
  const renderSettings = () => {
    const typed = readSettings(true);
    settingsBox.replaceChildren();
    if (!schema.settings.length) settingsBox.append(el("p", { class: "help" }, "This function has no settings."));
    for (const setting of schema.settings) settingsBox.append(settingField(setting, "test-setting"));
    for (const [name, input] of inputs()) restore(input, typed[name]);
  };
  const inputs = () => schema.settings.map((s) => [s.name, settingsBox.querySelector(`[name="${CSS.escape(s.name)}"]`)]);
  const restore = (input, value) => {
    if (!input || value === undefined) return;
    if (input.type === "checkbox") input.checked = value; else input.value = value;
  };
  function readSettings(raw) {
    const values = {};
    for (const setting of schema.settings) {
      const input = settingsBox.querySelector(`[name="${CSS.escape(setting.name)}"]`);
      if (!input) continue;
      const value = raw ? (input.type === "checkbox" ? input.checked : input.value) : fieldValue(setting, input);
      if (value !== undefined) values[setting.name] = value;
    }
    return values;
  }
  schema.onChange(renderSettings);
  renderSettings();

  let running = false;
  async function run() {
    if (running) return;
    const body = $("output-body");
    $("output").hidden = false;
    let event;
    try {
      event = JSON.parse(payload.value);
    } catch (err) {
      renderProblem(body, `Payload is not valid JSON: ${err.message}`);
      return;
    }
    running = true;
    $("run").disabled = true;
    body.replaceChildren(el("p", { class: "fn-meta" }, "Running…"));
    const request = {
      functionId: config.functionId,
      resourceType: config.resourceType,
      code: code.value,
      settingsSchema: schema.settings,
      settings: readSettings(false),
      ...(Array.isArray(event) ? { events: event } : { event }),
    };
    const result = await postJSON(config.urls.run, request);
    running = false;
    $("run").disabled = false;
    if (!result.ok) {
      renderProblem(body, errorText(result));
      code.markError(null);
      return;
    }
    renderOutput(body, result.data, config.resourceType);
    const error = result.data.error || (result.data.results || []).map((r) => r.error).find(Boolean);
    const line = error && /\(line (\d+)\)$/.exec(error.message);
    code.markError(line ? Number(line[1]) : null, error ? `${error.type}: ${error.message}` : "");
  }
  $("run").addEventListener("click", run);
  return { run };
}
