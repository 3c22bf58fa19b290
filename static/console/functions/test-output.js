// The Output of one Run: it replaces whatever the previous Run showed, entirely.
import { el } from "./setting-field.js";

const LOG_NOTICE = "[console output truncated";

function block(title, content) {
  const section = el("section", { class: "fn-output-block" });
  section.append(el("h4", {}, title), content);
  return section;
}

function statusLine(status, duration) {
  const line = el("p", { class: `fn-status fn-status-${status}` });
  line.append(el("strong", {}, "Status: "), status);
  if (duration !== undefined) line.append(el("span", { class: "fn-meta" }, ` · ${Math.round(duration)} ms`));
  return line;
}

function message(title, part) {
  const box = el("div", { class: "fn-http-part" });
  box.append(el("h5", {}, title));
  const headers = (part.headers || []).map(([name, value]) => `${name}: ${value}`).join("\n");
  box.append(el("pre", {}, [headers, part.body].filter(Boolean).join("\n\n") || "(empty)"));
  return box;
}

function requestsList(requests) {
  const list = el("ul", { class: "fn-requests" });
  for (const r of requests) {
    const item = el("li");
    const summary = el("summary");
    summary.append(el("code", {}, `${r.method} ${r.url}`));
    const outcome = r.error ? `failed: ${r.error}` : `→ ${r.status}`;
    summary.append(el("span", { class: r.error ? "fn-error" : "fn-meta" }, ` ${outcome} (${r.duration_ms} ms)`));
    const details = el("details");
    details.append(summary);
    if (r.request) details.append(message("Request", r.request));
    if (r.response) details.append(message("Response", r.response));
    item.append(details);
    list.append(item);
  }
  return list;
}

function batchTable(results) {
  const table = el("table", { class: "console-table fn-batch" });
  const head = el("tr");
  for (const title of ["Event", "Status", "Error"]) head.append(el("th", { scope: "col" }, title));
  table.append(el("thead"), el("tbody"));
  table.tHead.append(head);
  results.forEach((r, i) => {
    const row = el("tr");
    row.append(el("td", {}, `#${i + 1}`), el("td", { class: `fn-status-${r.status}` }, r.status));
    row.append(el("td", {}, r.error ? `${r.error.type}: ${r.error.message}` : ""));
    table.tBodies[0].append(row);
  });
  return table;
}

export function renderOutput(body, data, resourceType) {
  const parts = [];
  if (data.results) {
    const failed = data.results.filter((r) => r.status !== "success").length;
    parts.push(statusLine(failed ? `${failed} of ${data.results.length} events not successful` : "success", data.duration_ms));
    parts.push(block("Batch", batchTable(data.results)));
  } else {
    parts.push(statusLine(data.status, data.duration_ms));
    if (data.error) parts.push(block("Error Message", el("pre", { class: "fn-error-message" }, `${data.error.type}: ${data.error.message}`)));
    if (resourceType === "INSERT_DESTINATION" && data.output) {
      parts.push(block("Returned event", el("pre", {}, JSON.stringify(data.output, null, 2))));
    }
  }
  const logs = data.logs || [];
  const logBox = el("pre", { class: "fn-logs" }, logs.length ? logs.join("\n") : "(no logs)");
  const logBlock = block("Logs", logBox);
  if (logs.some((line) => line.startsWith(LOG_NOTICE))) {
    logBlock.append(el("p", { class: "fn-notice" }, "Logs are capped at 4 KB per run: later output was left out."));
  }
  parts.push(logBlock);
  if ((data.requests || []).length) parts.push(block("Requests", requestsList(data.requests)));
  body.replaceChildren(...parts);
}

export function renderProblem(body, message) {
  body.replaceChildren(statusLine("not run"), block("Error Message", el("pre", { class: "fn-error-message" }, message)));
}
