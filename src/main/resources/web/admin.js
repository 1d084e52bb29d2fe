// The operators' dashboard: the admin API polled about once a second (one refresh at a time), with
// the admin token kept in this tab's session storage (never a cookie, never the URL), dropped on a
// 401 or "Forget". No library: plain DOM, text nodes only for what users typed, one SVG chart.
"use strict";

const TOKEN_KEY = "seckill-admin-token";
const OPERATOR_KEY = "seckill-operator";
// outcomes are the answers' error codes; a status_NNN key is an answer without one
const SERIES = [
  { name: "201 reserved", color: "#047857", outcomes: ["reserved"] },
  { name: "410 sold out", color: "#6b7280", outcomes: ["sold_out", "status_410"] },
  { name: "429 throttled", color: "#f59e0b", outcomes: ["buyer_throttled", "rate_limited", "status_429"] },
  { name: "503 unavailable", color: "#dc2626", outcomes: ["unavailable", "paused", "read_only", "status_503"] },
];
const WINDOW = 120;
const history = [];
let previous = null;
let timer = null;
let polling = false;   // a refresh is in flight: the next tick waits for it
let generation = 0;    // bumped by Forget and by a refused token: answers of older refreshes are dropped
let pointerDown = false;

const $ = (id) => document.getElementById(id);

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

function say(text) {
  $("message").textContent = text;
}

async function api(method, path, body) {
  if (!token()) throw new Error("unauthorized");
  const headers = { Authorization: "Bearer " + token() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = r.headers.get("Content-Type")?.startsWith("application/json") ? await r.json() : null;
  if (r.status === 401) {
    forget("The admin token was refused.");
    throw new Error("unauthorized");
  }
  if (!r.ok) throw new Error(json ? json.error + ": " + json.message : "HTTP " + r.status);
  return json;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  });
  children.flat().forEach((c) => e.append(c instanceof Node ? c : document.createTextNode(String(c))));
  return e;
}

function fill(id, rows) {
  const target = $(id).tagName === "TABLE" ? $(id).tBodies[0] : $(id);
  target.replaceChildren(...rows);
}

function pairs(entries) {
  return entries.flatMap(([k, v, cls]) => [el("dt", {}, k), el("dd", cls ? { class: cls } : {}, v)]);
}

// ------------------------------------------------------------------ actions, each confirmed

const LIVE_TABLES = ["sales", "rooms"];

/** True while a live table may be rebuilt: no pressed pointer, none of its buttons focused (the click would be lost). */
function steady(id) {
  return !pointerDown && !$(id).tBodies[0].contains(document.activeElement);
}

/** Hands focus back from a live table's button once its click is done, so the table is rebuilt again. */
function releaseFocus() {
  if (LIVE_TABLES.some((id) => $(id).tBodies[0].contains(document.activeElement))) document.activeElement.blur();
}

/** Asks, then calls the API; says "Done: …", or what report() makes of the answer. */
async function act(question, method, path, body, report) {
  const confirmed = confirm(question);
  releaseFocus();
  if (!confirmed) return;
  try {
    const answer = await api(method, path, body);
    say(report ? report(answer) : "Done: " + question.replace(/\?$/, "") + ".");
    refresh(false);
  } catch (e) {
    say("Refused: " + e.message);
  }
}

function saleActions(s, paused) {
  const id = encodeURIComponent(s.saleId);
  const by = encodeURIComponent(operator());
  const over = s.phase === "CLOSED" || s.phase === "ENDED";
  const buttons = [];
  if (s.phase === "UPCOMING" || s.phase === "PAUSED")
    buttons.push(el("button", { onclick: () => act("Open " + s.saleId + " now?", "POST", `/admin/sales/${id}/open`) }, "open"));
  if (s.phase === "OPEN" || s.phase === "SOLD_OUT" || s.phase === "UPCOMING")
    buttons.push(el("button", { onclick: () => act("Pause " + s.saleId + "?", "POST", `/admin/sales/${id}/pause`) }, "pause"));
  if (!over) {
    buttons.push(el("button", { onclick: () => act("Close " + s.saleId + " for good?", "POST", `/admin/sales/${id}/close`) }, "close"));
    buttons.push(el("button", { class: "secondary", onclick: () => {
      const answer = prompt("Units to add to " + s.saleId + ":", "100");
      if (answer === null) return;
      if (!/^[1-9][0-9]*$/.test(answer.trim())) { say("Units must be a whole number above 0."); return; }
      const units = Number(answer.trim());
      act(`Add ${units} units to ${s.saleId}?`, "POST", `/admin/sales/${id}/stock`, { units });
    } }, "+ stock"));
  }
  if (paused)
    buttons.push(el("button", { class: "on", onclick: () => act("Release the brake on " + s.saleId + "?", "DELETE", `/admin/switches/paused-sales/${id}?by=${by}`) }, "release"));
  else if (!over)
    buttons.push(el("button", { class: "secondary", onclick: () => act("Brake " + s.saleId + " (reserves answer 503)?", "PUT", `/admin/switches/paused-sales/${id}?by=${by}`) }, "brake"));
  buttons.push(el("button", { class: "secondary", onclick: () => placement(s.saleId) }, "where"));
  return buttons;
}

/** A waiting room's pace or cap through its per-sale switch: a whole number above 0, or empty for the sale's own. */
function roomSwitch(saleId, name, label, current) {
  const answer = prompt(`${label} of ${saleId}'s waiting room (empty: as the sale defines it):`, String(current));
  if (answer === null) return;
  const raw = answer.trim();
  if (raw !== "" && !/^[1-9][0-9]*$/.test(raw)) { say(label + " must be a whole number above 0, or empty."); return; }
  const value = raw === "" ? null : Number(raw);
  act(`Set the ${label} of ${saleId}'s waiting room to ${value === null ? "the sale's own" : value}?`, "PATCH",
    "/admin/switches", { by: operator(), [name]: { [saleId]: value } });
}

// what POST /admin/sales/{id}/queue/revoke takes: 1 to MAX_REVOKED buyer ids, each as buyer tokens name them
const MAX_REVOKED = 1000;
const BUYER_ID = /^[A-Za-z0-9_.@:-]{1,128}$/;

/** Takes named buyers' places or admissions out of a waiting room's line: ids comma or space separated. */
function roomRevoke(saleId) {
  const answer = prompt(`Buyers whose place in ${saleId}'s waiting room to revoke (comma or space separated):`, "");
  if (answer === null) return;
  const buyers = [...new Set(answer.split(/[\s,]+/).filter(Boolean))];
  if (buyers.length === 0 || buyers.length > MAX_REVOKED) { say(`Name 1 to ${MAX_REVOKED} buyers to revoke.`); return; }
  const bad = buyers.find((b) => !BUYER_ID.test(b));
  if (bad !== undefined) { say(`Not a buyer id: "${bad}" (1 to 128 of A-Z a-z 0-9 _ . @ : -).`); return; }
  const named = buyers.length <= 5 ? buyers.join(", ") : `${buyers.slice(0, 5).join(", ")} and ${buyers.length - 5} more`;
  act(`Revoke the places of ${named} in ${saleId}'s waiting room?`, "POST",
    `/admin/sales/${encodeURIComponent(saleId)}/queue/revoke`, { buyers },
    (r) => `Revoked in ${saleId}: ${r.revoked.join(", ") || "none"}; not in line: ${r.notInLine.join(", ") || "none"}.`);
}

/** Seconds as operators read them: "—" when unknown, tenths below a minute, then minutes and seconds. */
function duration(seconds) {
  if (seconds === undefined || seconds === null) return "—";
  if (seconds < 60) return seconds.toFixed(1) + " s";
  const whole = Math.round(seconds);
  return whole < 3600 ? `${Math.floor(whole / 60)} min ${whole % 60} s` : `${Math.floor(whole / 3600)} h ${Math.floor((whole % 3600) / 60)} min`;
}

function roomRow(r, values) {
  const line = r.line || {};
  const switched = (map) => (map || {})[r.saleId] !== undefined ? " (switch)" : "";
  return el("tr", { "data-sale": r.saleId },
    el("td", {}, el("strong", {}, r.saleId), r.heard ? "" : " (line not heard yet)"),
    el("td", { "data-figure": "waiting" }, line.waiting ?? 0),
    el("td", { "data-figure": "active" }, `${line.active ?? 0} of ${r.maxActive}`, switched(values.saleMaxActive)),
    el("td", { "data-figure": "rates" }, `${(line.joinedPerSecond ?? 0).toFixed(1)}/s / ${(line.admittedPerSecond ?? 0).toFixed(1)}/s`),
    el("td", { "data-figure": "last-wait" }, duration(line.lastAdmittedWaitSeconds)),
    el("td", { "data-figure": "waits" }, `${duration(line.admittedWaitMedianSeconds)} / ${duration(line.admittedWaitP90Seconds)}`),
    el("td", { "data-figure": "eta" }, r.opened ? duration(line.backOfLineEtaSeconds) : "not open"),
    el("td", { "data-figure": "pace" }, `${r.admitPerSecond}/s`, switched(values.saleAdmitPerSecond)),
    el("td", { class: "actions" },
      el("button", { class: "secondary", onclick: () => roomSwitch(r.saleId, "saleAdmitPerSecond", "pace", r.admitPerSecond) }, "pace"),
      el("button", { class: "secondary", onclick: () => roomSwitch(r.saleId, "saleMaxActive", "cap", r.maxActive) }, "cap"),
      el("button", { class: "secondary", onclick: () => roomRevoke(r.saleId) }, "revoke")));
}

async function placement(saleId) {
  try {
    const p = await api("GET", `/admin/sales/${encodeURIComponent(saleId)}/placement`);
    $("placement").textContent = `${saleId}: shard ${p.shard} on ${p.node || "(not allocated)"}`;
  } catch (e) {
    say("Placement: " + e.message);
  }
}

function bar(s) {
  const total = Math.max(1, s.stock);
  // widths through the CSSOM, not a style attribute: the page's Content-Security-Policy allows no inline style
  const part = (cls, n) => {
    const span = el("span", { class: cls, title: `${cls} ${n}` });
    span.style.width = `${(100 * n) / total}%`;
    return span;
  };
  return el("div", { class: "bar" }, part("sold", s.sold), part("held", s.held), part("available", s.available));
}

// ------------------------------------------------------------------ the chart

function record(outcomes) {
  const seconds = previous ? (Date.parse(outcomes.at) - Date.parse(previous.at)) / 1000 : 0;
  if (previous && seconds < 0.5) return; // out of order, or too close to the last point to be a rate
  if (previous) {
    // counts only grow on one node: a drop means another node answered, or this one restarted
    const delta = (o) => Math.max(0, (outcomes.counts[o] || 0) - (previous.counts[o] || 0));
    history.push(SERIES.map((s) => s.outcomes.reduce((sum, o) => sum + delta(o), 0) / seconds));
    if (history.length > WINDOW) history.shift();
  }
  previous = outcomes;
  draw();
}

function draw() {
  const svg = $("chart");
  const top = Math.max(10, ...history.flat());
  const x = (i) => (600 * (i + WINDOW - history.length)) / (WINDOW - 1);
  const y = (v) => 155 - (150 * v) / top;
  const lines = SERIES.map((s, k) => {
    const points = history.map((row, i) => `${x(i).toFixed(1)},${y(row[k]).toFixed(1)}`).join(" ");
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.setAttribute("points", points);
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", s.color);
    line.setAttribute("stroke-width", "2");
    line.setAttribute("vector-effect", "non-scaling-stroke");
    line.setAttribute("data-series", s.name);
    return line;
  });
  svg.replaceChildren(...lines);
  const last = history[history.length - 1] || SERIES.map(() => 0);
  fill("legend", SERIES.map((s, k) => {
    const item = el("li", {}, `${s.name}: ${Math.round(last[k])}/s`);
    item.style.setProperty("--c", s.color);
    return item;
  }));
  svg.setAttribute("aria-label", `reserve answers per second, scale up to ${Math.round(top)}/s`);
}

// ------------------------------------------------------------------ panels

async function refresh(chart) {
  const mine = generation;
  try {
    const [sales, admission, switches, hot, cluster, outcomes, queues] = await Promise.all([
      api("GET", "/admin/sales"), api("GET", "/admin/admission"), api("GET", "/admin/switches"),
      api("GET", "/admin/hotspots"), api("GET", "/admin/cluster"), api("GET", "/admin/outcomes"), api("GET", "/admin/queues")]);
    if (mine !== generation) return; // forgotten meanwhile
    $("board").hidden = false;
    if (chart) record(outcomes);
    const paused = new Set(switches.values.pausedSales);
    const all = switches.values.pauseAll;
    // rebuilt each second, but not under a pressed pointer or a focused button: the click would be lost
    if (steady("sales")) {
      fill("sales", sales.sales.map((s) => el("tr", { "data-sale": s.saleId },
        el("td", {}, el("strong", {}, s.saleId), el("br"), s.item),
        el("td", {}, s.phase === "SOLD_OUT" ? "SOLD OUT" : s.phase,
          paused.has(s.saleId) ? " (braked)" : "", all && s.phase === "OPEN" ? " (all paused)" : ""),
        el("td", {}, bar(s)),
        el("td", {}, `${s.sold} / ${s.held} / ${s.available} of ${s.stock}`),
        el("td", { class: "actions" }, saleActions(s, paused.has(s.saleId))))));
    }
    if (steady("rooms")) {
      fill("rooms", queues.rooms.length ? queues.rooms.map((r) => roomRow(r, switches.values))
        : [el("tr", {}, el("td", { colspan: "9", class: "hint" }, "No open or upcoming sale has a waiting room."))]);
    }
    const shed = admission.shedding;
    fill("admission", pairs([
      ["queued", `${admission.queued} of ${admission.capacity}`],
      ["mean batch", admission.meanBatch.toFixed(1) + " requests per persist"],
      ["batch answered in", admission.meanBatchMillis.toFixed(1) + " ms (mean)"],
      ["breaker", shed.breaker, shed.breaker === "CLOSED" ? "good" : "bad"],
      ["shedding", shed.shedding ? "yes" : "no", shed.shedding ? "bad" : "good"],
      ["queue wait", `${shed.queueWaitMillis.toFixed(1)} ms (sheds over ${shed.queueWaitBudgetMillis.toFixed(0)})`],
      ["persist", shed.persistMillis.toFixed(1) + " ms"],
      ["refused: full / over budget", `${admission.rejectedFull} / ${admission.rejectedOverBudget}`],
      ["shed: breaker / over budget", `${shed.shedBreakerOpen} / ${shed.shedOverBudget}`],
    ]));
    const v = switches.values;
    fill("switches", pairs([
      ["pause every sale", v.pauseAll ? "ON" : "off", v.pauseAll ? "bad" : ""],
      ["read-only", v.readOnly ? "ON" : "off", v.readOnly ? "bad" : ""],
      ["braked sales", v.pausedSales.join(", ") || "none"],
      ["node rate", switches.effective.nodeRatePerSecond + "/s"],
      ["queue size", switches.effective.queueSize],
      ["wait budget", switches.effective.waitBudgetMillis + " ms"],
      ["sale rates", Object.entries(v.saleRatePerSecond).map(([k, x]) => `${k}: ${x}/s`).join(", ") || "none"],
      ["challenge difficulty", v.challengeDifficulty || "off"],
      ["sale challenges", Object.entries(v.saleChallengeDifficulty).map(([k, x]) => `${k}: ${x}`).join(", ") || "none"],
      ["waiting-room pace", Object.entries(v.saleAdmitPerSecond || {}).map(([k, x]) => `${k}: ${x}/s`).join(", ") || "as defined"],
      ["waiting-room cap", Object.entries(v.saleMaxActive || {}).map(([k, x]) => `${k}: ${x}`).join(", ") || "as defined"],
      ["features off", v.disabledFeatures.join(", ") || "none"],
    ]));
    $("pause-all").textContent = v.pauseAll ? "Resume every sale" : "Pause every sale";
    $("pause-all").onclick = () => act(v.pauseAll ? "Resume every sale?" : "Pause EVERY sale?", "PATCH", "/admin/switches",
      { by: operator(), pauseAll: !v.pauseAll });
    $("read-only").textContent = v.readOnly ? "Writable again" : "Read-only";
    $("read-only").onclick = () => act(v.readOnly ? "Make the node writable again?" : "Make every write answer 503 (read-only)?",
      "PATCH", "/admin/switches", { by: operator(), readOnly: !v.readOnly });
    fill("history", switches.history.slice(-10).reverse().map((h) => el("li", {}, `${new Date(h.at).toLocaleString()} ${h.by}: ${h.fields.join(", ")}`)));
    fill("hot-sales", hot.sales.slice(0, 5).map((s) => el("li", {}, `${s.sale}: ${s.reservesPerSecond.toFixed(1)}/s${s.hot ? " (hot)" : ""}`)));
    fill("hot-buyers", hot.buyers.slice(0, 5).map((b) => el("li", {}, `${b.buyer}: ${b.reservesPerSecond.toFixed(1)}/s, ${b.throttled} throttled`)));
    fill("members", cluster.members.map((m) => el("tr", {},
      el("td", {}, m.address, m.address === cluster.self ? " (this node)" : "", m.address === cluster.leader ? " (leader)" : ""),
      el("td", { class: cluster.unreachable.includes(m.address) ? "bad" : "" }, cluster.unreachable.includes(m.address) ? m.status + ", unreachable" : m.status),
      el("td", {}, m.roles.join(", ")))));
    $("updated").textContent = "updated " + new Date().toLocaleTimeString();
    if ($("message").textContent.startsWith("Could not refresh")) say("");
  } catch (e) {
    if (e.message !== "unauthorized" && mine === generation) say("Could not refresh: " + e.message);
  }
}

/** One refresh at a time: the next starts a second after the last one ended, however slow the node. */
async function tick() {
  if (polling) return;
  polling = true;
  try {
    await refresh(true);
  } finally {
    polling = false;
    if (timer !== null) timer = setTimeout(tick, 1000);
  }
}

function start() {
  stop();
  timer = 0;
  tick();
}

function stop() {
  if (timer) clearTimeout(timer);
  timer = null;
}

function operator() {
  return sessionStorage.getItem(OPERATOR_KEY) || "dashboard";
}

/** Drops the token and everything shown with it. */
function forget(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  generation++;
  stop();
  history.length = 0;
  previous = null;
  $("board").hidden = true;
  ["sales", "rooms", "admission", "switches", "history", "hot-sales", "hot-buyers", "members", "legend"].forEach((id) => fill(id, []));
  $("chart").replaceChildren();
  say(message);
}

// ------------------------------------------------------------------ forms

function defaults() {
  const local = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  const f = $("define");
  if (!f.startsAt.value) f.startsAt.value = local(new Date(Date.now() + 5 * 60000));
  if (!f.endsAt.value) f.endsAt.value = local(new Date(Date.now() + 65 * 60000));
}

$("define").addEventListener("submit", (e) => {
  e.preventDefault();
  const f = e.target;
  const sale = {
    item: f.item.value, description: f.description.value, price: Number(f.price.value), currency: f.currency.value,
    stock: Number(f.stock.value), startsAt: new Date(f.startsAt.value).toISOString(), endsAt: new Date(f.endsAt.value).toISOString(),
    perBuyerLimit: Number(f.perBuyerLimit.value), mode: f.mode.value,
  };
  if (f.holdSeconds.value) sale.holdSeconds = Number(f.holdSeconds.value);
  act(`Define sale ${f.saleId.value} (${sale.stock} units, opens ${f.startsAt.value})?`, "PUT", `/admin/sales/${encodeURIComponent(f.saleId.value)}`, sale);
});

$("switch").addEventListener("submit", (e) => {
  e.preventDefault();
  const f = e.target;
  const name = f.switchName.value;
  const raw = f.value.value.trim();
  let value;
  if (name === "disabledFeatures") value = raw ? raw.split(",").map((x) => x.trim()).filter(Boolean) : [];
  else if (raw === "") value = null;
  else if (/^[0-9]+$/.test(raw)) value = Number(raw);
  else { say(name + " takes a whole number, or nothing to go back to the config."); return; }
  if (name.startsWith("sale")) {
    if (!f.sale.value) { say("Name the sale for " + name + "."); return; }
    value = { [f.sale.value]: value };
  }
  act(`Set ${name} to ${JSON.stringify(value)}?`, "PATCH", "/admin/switches", { by: operator(), [name]: value });
});

$("token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const value = $("token").value.trim();
  if (!value) return;
  sessionStorage.setItem(TOKEN_KEY, value);
  const name = $("operator").value.trim();
  if (name) sessionStorage.setItem(OPERATOR_KEY, name);
  $("token").value = "";
  generation++;
  say("");
  start();
});
$("forget").addEventListener("click", () => forget("Token forgotten."));
LIVE_TABLES.forEach((id) => {
  $(id).tBodies[0].addEventListener("pointerdown", () => { pointerDown = true; });
  // a clicked button keeps focus, which holds the table still: give it back once the click is handled
  $(id).tBodies[0].addEventListener("click", () => setTimeout(releaseFocus, 0));
});
document.addEventListener("pointerup", () => setTimeout(() => { pointerDown = false; }, 0));
$("operator").value = sessionStorage.getItem(OPERATOR_KEY) || "";
defaults();
if (token()) start();
else say("Enter the admin token to see the sales.");
