// Create Function (Configure), Save and Save & Deploy. A refused action leaves the editor as
// typed and says why.
import { postJSON, errorText } from "./api.js";
import { showMessage } from "./messages.js";

const NAME_MAX = 120;

export function authoring({ config, schema, code }) {
  const $ = (id) => document.getElementById(id);
  const edit = () => ({ code: code.value, settingsSchema: schema.settings });
  let dirty = false;
  const markDirty = () => { dirty = true; };
  schema.onChange(markDirty);
  window.addEventListener("beforeunload", (event) => { if (dirty) event.preventDefault(); });

  async function save() {
    if (!config.urls.save) return openConfigure();
    showMessage("Saving…");
    const result = await postJSON(config.urls.save, edit());
    if (!result.ok) return showMessage(errorText(result), "error");
    dirty = false;
    showMessage(result.data.message, "success");
    if ($("fn-version")) $("fn-version").textContent = `Version ${result.data.version} · saved just now`;
  }

  function openConfigure() {
    const dialog = $("configure-dialog");
    if (dialog) { dialog.showModal(); $("fn-name").focus(); }
  }

  if ($("save")) $("save").addEventListener("click", save);
  if ($("save-deploy")) $("save-deploy").addEventListener("click", () => $("deploy-dialog").showModal());
  if ($("deploy-form")) deployDialog();
  if ($("configure")) {
    $("configure").addEventListener("click", openConfigure);
    configureDialog();
  }

  function deployDialog() {
    $("deploy-cancel").addEventListener("click", () => $("deploy-dialog").close());
    $("deploy-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const instanceIds = [...document.querySelectorAll("#deploy-form input[name=instance]:checked")].map((i) => i.value);
      $("deploy-confirm").disabled = true;
      const result = await postJSON(config.urls.deploy, { ...edit(), instanceIds });
      $("deploy-confirm").disabled = false;
      if (!result.ok) {
        $("deploy-error").hidden = false;
        $("deploy-error").textContent = errorText(result);
        return;
      }
      dirty = false;
      // The dialog's pinned versions are now stale: reload to show them, with the message.
      sessionStorage.setItem("console-message", result.data.message);
      window.location.reload();
    });
  }

  function configureDialog() {
    const name = $("fn-name");
    const count = () => { $("fn-name-count").textContent = String(name.value.length); };
    name.addEventListener("input", count);
    $("configure-cancel").addEventListener("click", () => $("configure-dialog").close());
    $("configure-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const problem = !name.value.trim()
        ? "Name is required."
        : name.value.length > NAME_MAX
          ? `Name is ${name.value.length} characters long: at most ${NAME_MAX} are allowed.`
          : "";
      const errorBox = $("configure-error");
      errorBox.hidden = !problem;
      errorBox.textContent = problem;
      if (problem) return name.focus();
      $("create").disabled = true;
      const result = await postJSON(config.urls.create, {
        ...edit(),
        resourceType: config.resourceType,
        displayName: name.value,
        description: $("fn-description").value,
        logoUrl: $("fn-logo").value.trim(),
      });
      $("create").disabled = false;
      if (!result.ok) {
        errorBox.hidden = false;
        errorBox.textContent = errorText(result);
        return;
      }
      dirty = false;
      sessionStorage.setItem("console-message", result.data.message);
      window.location.assign(result.data.url);
    });
  }

  return { save, markDirty };
}
