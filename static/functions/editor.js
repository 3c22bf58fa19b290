// Test panel of the function editor: posts the editor's code, event and test settings.
(function () {
  const panel = document.getElementById("function-test");
  if (!panel) return;
  const code = document.getElementById("id_code");
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;

  if (code) {
    code.addEventListener("keydown", (e) => {
      if (e.key !== "Tab") return;
      e.preventDefault();
      code.setRangeText("  ", code.selectionStart, code.selectionEnd, "end");
    });
  }

  function parse(id, label) {
    try { return JSON.parse($(id).value || "{}"); }
    catch (err) { throw new Error(label + " is not valid JSON: " + err.message); }
  }

  async function run() {
    $("test-output").hidden = false;
    $("test-status").textContent = "running…";
    let body;
    try {
      const event = parse("test-event", "Event");
      body = { code: code ? code.value : undefined, settings: parse("test-settings", "Settings") };
      if (Array.isArray(event)) body.events = event; else body.event = event;
    } catch (err) {
      $("test-status").textContent = "input error";
      $("test-error").hidden = false;
      $("test-error").textContent = err.message;
      return;
    }
    const response = await fetch(panel.dataset.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    });
    const data = await response.json();
    if (!response.ok) {
      $("test-status").textContent = "input error";
      $("test-error").hidden = false;
      $("test-error").textContent = data.error;
      return;
    }
    const first = data.results ? data.results[0] : data;
    $("test-status").textContent = data.results
      ? data.results.map((r) => r.status).join(", ") : data.status;
    $("test-error").hidden = !first.error;
    $("test-error").textContent = first.error ? first.error.type + ": " + first.error.message : "";
    $("test-result").textContent = JSON.stringify(data.results || data.output, null, 2);
    $("test-logs").textContent = (data.logs || []).join("\n");
    $("test-requests").textContent = (data.requests || [])
      .map((r) => `${r.method} ${r.url} → ${r.status} (${r.duration_ms} ms)`).join("\n");
  }

  $("test-run").addEventListener("click", () => {
    run().catch((err) => { $("test-status").textContent = "error: " + err.message; });
  });
})();
