// JSON calls to the console's endpoints: session cookie + Django's CSRF token.
function csrfToken() {
  const input = document.querySelector("[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

/** POST `body` as JSON; resolves to {ok, status, data} and never throws on HTTP errors. */
export async function postJSON(url, body) {
  return request(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(body),
  });
}

export async function getJSON(url) {
  return request(url, { headers: { Accept: "application/json" } });
}

async function request(url, init) {
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin", ...init });
  } catch (err) {
    return { ok: false, status: 0, data: { error: `The server could not be reached: ${err.message}` } };
  }
  if (response.redirected && new URL(response.url).pathname.endsWith("/login/")) {
    const error = "Your session has ended: sign in again in another tab, then retry. Your edit is kept.";
    return { ok: false, status: 401, data: { error } };
  }
  let data;
  try {
    data = await response.json();
  } catch (err) {
    data = { error: `The server answered ${response.status} ${response.statusText}` };
  }
  return { ok: response.ok, status: response.status, data };
}

/** The message of a refused call, as the page shows it. */
export function errorText(result) {
  if (result.status === 403) return `Not allowed: ${result.data.error}`;
  return result.data.error || `Request failed (${result.status})`;
}
