// The page's message line: what happened, or why an action was refused (the edit stays).
const box = () => document.getElementById("fn-message");

export function showMessage(text, kind = "info") {
  const el = box();
  el.hidden = false;
  el.textContent = text;
  el.className = `fn-message fn-message-${kind}`;
  el.setAttribute("role", kind === "error" ? "alert" : "status");
}

export function clearMessage() {
  const el = box();
  el.hidden = true;
  el.textContent = "";
}
