// The function editor page: code editor, Test and Settings tabs, Save / Save & Deploy /
// Create Function. Editors are CodeMirror 6, bundled at install into ../dist.
import { codeEditor, jsonEditor } from "../dist/editor.js";
import { authoring } from "./authoring.js";
import { showMessage } from "./messages.js";
import { settingsBuilder } from "./settings-builder.js";
import { SettingsSchema } from "./settings-schema.js";
import { testPanel } from "./test-panel.js";

const config = JSON.parse(document.getElementById("editor-config").textContent);
const schema = new SettingsSchema(config.settingsSchema);
let actions = null;
let tester = null;

const code = codeEditor(document.getElementById("code-editor"), {
  doc: config.code,
  readOnly: !config.mayEdit,
  onSave: config.mayEdit ? () => actions.save() : null,
  onRun: config.mayRun ? () => tester.run() : null,
  onChange: () => actions && actions.markDirty(),
});

settingsBuilder(schema, { mayEdit: config.mayEdit });
if (config.mayRun) tester = testPanel({ config, schema, code, jsonEditor });
if (config.mayEdit) actions = authoring({ config, schema, code });

// Tabs beside the code: Test and Settings.
const tabs = [...document.querySelectorAll(".fn-tabs [role=tab]")];
for (const tab of tabs) {
  tab.addEventListener("click", () => {
    for (const other of tabs) {
      other.setAttribute("aria-selected", String(other === tab));
      document.getElementById(other.getAttribute("aria-controls")).hidden = other !== tab;
    }
  });
}

const carried = sessionStorage.getItem("console-message");
if (carried) {
  sessionStorage.removeItem("console-message");
  showMessage(carried, "success");
}

// The shortcuts also work outside the code editor (test settings, payload).
document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || !(event.ctrlKey || event.metaKey)) return;
  if (event.key === "s" && actions) {
    event.preventDefault();
    actions.save();
  } else if (event.key === "Enter" && tester) {
    event.preventDefault();
    tester.run();
  }
});
