"use strict";
// The inspector: the journal live from /__mockapi/requests/stream (read with fetch, which can send the
// control token; EventSource cannot), filters, reset and the rules list. The token stays in this tab only.
const TOKEN_KEY = "mockapi-control-token";
const entries = [];
const MAX_ENTRIES = 1000;
const $ = (id) => document.getElementById(id);

function headers() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

function askToken(message) {
  $("token-form").hidden = false;
  $("token-error").textContent = message || "";
  $("status").textContent = "a control token is needed";
}

async function control(method, path, body) {
  const init = { method, headers: headers() };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`/__mockapi${path}`, init);
  if (response.status === 401) {
    askToken("That token was refused.");
    throw new Error("token refused");
  }
  return response.json();
}

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  return td;
}

function shown(entry) {
  const path = $("f-path").value.trim();
  const status = $("f-status").value.trim();
  const session = $("f-session").value.trim();
  const text = $("f-text").value.trim().toLowerCase();
  if (path && !entry.path.includes(path)) return false;
  if (status && !String(entry.status).startsWith(status)) return false;
  if (session && entry.session !== session) return false;
  if (text && !JSON.stringify(entry).toLowerCase().includes(text)) return false;
  return true;
}

function row(entry) {
  const tr = document.createElement("tr");
  tr.className = "entry" + (entry.status >= 400 ? " error" : "");
  tr.dataset.id = entry.id;
  const time = new Date(entry.time * 1000).toISOString().slice(11, 23);
  const model = entry.body && typeof entry.body === "object" ? entry.body.model : "";
  for (const value of [time, entry.method, entry.path, model, entry.status, entry.duration_ms.toFixed(1),
    entry.rule_id, entry.fault]) {
    tr.appendChild(cell(value));
  }
  tr.addEventListener("click", () => toggle(tr, entry));
  return tr;
}

function toggle(tr, entry) {
  const next = tr.nextElementSibling;
  if (next && next.classList.contains("detail")) {
    next.remove();
    return;
  }
  const detail = document.createElement("tr");
  detail.className = "detail";
  const td = document.createElement("td");
  td.colSpan = 8;
  for (const [label, value] of [["Request body", entry.body], ["Headers", entry.headers]]) {
    const title = document.createElement("strong");
    title.textContent = label;
    const pre = document.createElement("pre");
    pre.textContent = JSON.stringify(value, null, 2);
    td.append(title, pre);
  }
  detail.appendChild(td);
  tr.after(detail);
}

function render() {
  const rows = $("rows");
  rows.replaceChildren(...entries.filter(shown).map(row).reverse());
}

function add(entry) {
  entries.push(entry);
  if (entries.length > MAX_ENTRIES) entries.shift();
  if (shown(entry)) $("rows").prepend(row(entry));
}

async function rules() {
  const listing = await control("GET", "/rules");
  $("rules").replaceChildren(...listing.data.map((rule) => {
    const li = document.createElement("li");
    li.textContent = `${rule.id} (${rule.source})` + (rule.hits !== undefined ? ` — ${rule.hits} hits` : "");
    return li;
  }));
}

async function stream() {
  const response = await fetch("/__mockapi/requests/stream", { headers: headers() });
  if (response.status === 401) {
    askToken(sessionStorage.getItem(TOKEN_KEY) ? "That token was refused." : "");
    return;
  }
  if (!response.ok) {
    $("status").textContent = `journal unavailable (${response.status})`;
    return;
  }
  $("token-form").hidden = true;
  $("status").textContent = "live";
  rules().catch(() => {});
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event.split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trim()).join("\n");
      if (data) add(JSON.parse(data));
    }
  }
  $("status").textContent = "disconnected; reload to reconnect";
}

$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("token").value);
  stream();
});
for (const id of ["f-path", "f-status", "f-session", "f-text"]) $(id).addEventListener("input", render);
$("reset").addEventListener("click", async () => {
  await control("POST", "/reset");
  entries.length = 0;
  render();
  rules().catch(() => {});
});
stream();
