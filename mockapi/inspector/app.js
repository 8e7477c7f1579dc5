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
  const sections = [["Request body", JSON.stringify(entry.body, null, 2)], ["Headers", JSON.stringify(entry.headers, null, 2)]];
  if (entry.response_parts.length) {
    sections.push(["Response (assembled text)", assembled(entry.response)]);
    sections.push(["Chunk timeline (ms after the request, bytes)",
      entry.response_parts.map((part, i) => `#${i + 1}  +${part.offset_ms.toFixed(1)} ms  ${part.bytes} B`).join("\n")]);
  } else {
    sections.push(["Response body", pretty(entry.response)]);
  }
  for (const [label, text] of sections) {
    const title = document.createElement("strong");
    title.textContent = label;
    const pre = document.createElement("pre");
    pre.className = label.split(" ")[0].toLowerCase();
    pre.textContent = text;
    td.append(title, pre);
  }
  const make = document.createElement("button");
  make.type = "button";
  make.className = "make-rule";
  make.textContent = "Make a rule";
  make.addEventListener("click", () => proposeRule(td, entry).catch((error) => note(td, error.message)));
  td.appendChild(make);
  detail.appendChild(td);
  tr.after(detail);
}

function pretty(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

// A stream's text: the content deltas of chat, completions and Responses events, in order.
function assembled(stream) {
  let text = "";
  for (const line of stream.split("\n")) {
    if (!line.startsWith("data:")) continue;
    let event;
    try {
      event = JSON.parse(line.slice(5));
    } catch {
      continue;
    }
    const choice = event.choices && event.choices[0];
    if (choice && choice.delta && typeof choice.delta.content === "string") text += choice.delta.content;
    else if (choice && typeof choice.text === "string") text += choice.text;
    else if (event.type === "response.output_text.delta") text += event.delta;
  }
  return text;
}

function note(parent, text) {
  let span = parent.querySelector(".note");
  if (!span) {
    span = document.createElement("span");
    span.className = "note";
    parent.appendChild(span);
  }
  span.textContent = text;
}

async function proposeRule(td, entry) {
  const proposal = await control("GET", `/requests/${entry.id}/rule`);
  if (proposal.error) throw new Error(proposal.error.message);
  const editor = document.createElement("textarea");
  editor.className = "rule-yaml";
  editor.rows = 14;
  editor.value = proposal.yaml;
  const add = document.createElement("button");
  add.type = "button";
  add.className = "add-rule";
  add.textContent = "Add this rule";
  add.addEventListener("click", async () => {
    const added = await control("POST", "/rules/yaml", { yaml: editor.value });
    note(td, added.error ? added.error.message : `added ${added.ids.join(", ")}`);
    rules().catch(() => {});
  });
  td.append(editor, add);
}

function render() {
  const rows = $("rows");
  rows.replaceChildren(...entries.filter(shown).map(row).reverse());
}

function add(entry) {
  entries.push(entry);
  if (entries.length > MAX_ENTRIES) entries.shift();
  if (shown(entry)) $("rows").prepend(row(entry));
  if (entry.rule_id) rulesSoon();
  chartsSoon();
}

// Redrawn at most once per interval however fast entries come.
function throttled(action, ms) {
  let waiting = false;
  return () => {
    if (waiting) return;
    waiting = true;
    setTimeout(() => { waiting = false; action(); }, ms);
  };
}
const rulesSoon = throttled(() => rules().catch(() => {}), 300);
const chartsSoon = throttled(() => charts(), 500);

// Charts: requests per 10 s and mean latency per endpoint (path) over the last five minutes, as inline SVG.
const WINDOW_S = 300;
const BUCKET_S = 10;
const COLOURS = ["#3b6fd8", "#d8743b", "#2e9e5b", "#a23bd8", "#c9a227", "#d83b6f"];
const SVG = "http://www.w3.org/2000/svg";

function svg(name, attributes) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

function series(now) {
  const buckets = WINDOW_S / BUCKET_S;
  const byPath = new Map();
  for (const entry of entries) {
    const index = Math.floor((entry.time - (now - WINDOW_S)) / BUCKET_S);
    if (index < 0 || index >= buckets) continue;
    if (!byPath.has(entry.path)) byPath.set(entry.path, { count: new Array(buckets).fill(0), ms: new Array(buckets).fill(0) });
    const line = byPath.get(entry.path);
    line.count[index] += 1;
    line.ms[index] += entry.duration_ms;
  }
  return [...byPath.entries()].slice(0, COLOURS.length);
}

function chart(id, title, lines, value) {
  const width = 460, height = 140, pad = 28;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": title });
  const values = lines.flatMap(([, line]) => line.count.map((_, i) => value(line, i)));
  const top = Math.max(1, ...values);
  root.appendChild(svg("line", { x1: pad, y1: height - pad, x2: width - 4, y2: height - pad, stroke: "#999" }));
  const label = svg("text", { x: pad, y: 12, "font-size": 11 });
  label.textContent = `${title} (max ${top.toFixed(top < 10 ? 1 : 0)})`;
  root.appendChild(label);
  lines.forEach(([path, line], n) => {
    const step = (width - pad - 4) / (line.count.length - 1);
    const points = line.count.map((_, i) => `${(pad + i * step).toFixed(1)},${(height - pad - (value(line, i) / top) * (height - pad - 18)).toFixed(1)}`);
    root.appendChild(svg("polyline", { points: points.join(" "), fill: "none", stroke: COLOURS[n], "stroke-width": 1.5, class: "series", "data-path": path }));
    const key = svg("text", { x: pad + 4, y: height - 4 - 0 , "font-size": 10, fill: COLOURS[n], dx: n * 150 });
    key.textContent = path.replace("/v1/", "");
    root.appendChild(key);
  });
  $(id).replaceChildren(root);
}

function charts() {
  const lines = series(Date.now() / 1000);
  chart("rate-chart", "requests per 10 s", lines, (line, i) => line.count[i]);
  chart("latency-chart", "mean latency, ms", lines, (line, i) => (line.count[i] ? line.ms[i] / line.count[i] : 0));
}

async function rules() {
  const listing = await control("GET", "/rules");
  $("rules").replaceChildren(...listing.data.map((rule) => {
    const li = document.createElement("li");
    li.textContent = `${rule.id} (${rule.source}): ${rule.hits} hit${rule.hits === 1 ? "" : "s"}`;
    li.dataset.id = rule.id;
    li.dataset.hits = rule.hits;
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
  setInterval(charts, 5000);
stream();
});
for (const id of ["f-path", "f-status", "f-session", "f-text"]) $(id).addEventListener("input", render);
$("reset").addEventListener("click", async () => {
  await control("POST", "/reset");
  entries.length = 0;
  render();
  charts();
  rules().catch(() => {});
});
stream();
