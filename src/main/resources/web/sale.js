// The sale page: static bytes, the same for every sale and buyer. Everything live comes from two
// small JSON calls: the sale's definition (cacheable) and its status (polled with jitter).
(function () {
  "use strict";
  const saleId = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
  const $ = (id) => document.getElementById(id);
  const tokenKey = "seckill.token";
  let offsetMs = 0;            // server clock minus ours, from the status's serverTime
  let status = null;
  let busy = false;
  let pendingRequestId = null; // kept across retries so a retry can never buy twice
  let accessToken = null;      // a solved challenge's token, for this request; used up by one reserve
  let sale = null;             // the sale's definition
  // the waiting room, when the sale has one: the ticket (kept per buyer, so a reload keeps the place),
  // where it stands, the admission token once let in (used up by one reserve), and the access token a
  // join carries when the sale asks for a challenge (kept until a join is answered: a retry reuses it);
  // bought once a reserve through the room made a reservation (nothing left to queue for)
  const queue = { answer: null, firstAhead: null, admission: null, admissionExpiresAt: null, timer: null, joining: false,
    leaving: false, access: null, bought: false };
  // what the page says of a place out of the line, as the poll names it
  const OUT = { LEFT: { state: "You left the line", place: "You left the line." },
    REVOKED: { state: "Your place was withdrawn", place: "Your place was withdrawn by the shop; you may join again at the back." } };

  function fmtMoney(amount, currency) {
    try { return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(amount); }
    catch (e) { return amount + " " + currency; }
  }

  function fmtDuration(ms) {
    const s = Math.max(0, Math.ceil(ms / 1000));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return (h ? h + "h " : "") + (h || m ? m + "m " : "") + sec + "s";
  }

  function say(text, kind) {
    const el = $("outcome");
    el.textContent = text;
    el.className = "outcome " + (kind || "");
  }

  function newRequestId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function zeroBits(bytes) {
    let bits = 0;
    for (const b of bytes) {
      if (b === 0) { bits += 8; continue; }
      return bits + Math.clz32(b) - 24;
    }
    return bits;
  }

  // The sale's access challenge: find n such that SHA-256(challenge + ":" + n) starts with
  // `difficulty` zero bits, then trade it for a token bound to requestId (a join takes it for any).
  // Returns the token, "" when the sale no longer asks for one, or an error answer { status, body }.
  async function solveChallenge(requestId) {
    if (!(window.crypto && crypto.subtle)) {
      return { status: 0, body: { message: "This sale verifies buyers with WebCrypto, which needs the page over https." } };
    }
    const url = "/api/sales/" + encodeURIComponent(saleId) + "/challenge";
    const auth = { "Authorization": "Bearer " + localStorage.getItem(tokenKey) };
    const r = await fetch(url, { headers: auth });
    const c = await r.json().catch(() => ({}));
    if (r.status === 404 && c.error === "challenge_off") return "";
    if (!r.ok) return { status: r.status, body: c };
    const prefix = c.challenge + ":";
    const enc = new TextEncoder();
    const batch = 256; // digests in flight at once: one await per digest would be slow
    let solution = null;
    for (let n = 0; solution === null; n += batch) {
      const tries = [];
      for (let i = n; i < n + batch; i++) tries.push(crypto.subtle.digest("SHA-256", enc.encode(prefix + i)));
      const digests = await Promise.all(tries);
      const hit = digests.findIndex((d) => zeroBits(new Uint8Array(d)) >= c.difficulty);
      if (hit >= 0) solution = String(n + hit);
    }
    const t = await fetch(url, { method: "POST", headers: Object.assign({ "Content-Type": "application/json" }, auth),
      body: JSON.stringify({ challenge: c.challenge, solution, requestId }) });
    const granted = await t.json().catch(() => ({}));
    return t.ok ? granted.accessToken : { status: t.status, body: granted };
  }

  async function loadSale() {
    const r = await fetch("/api/sales/" + encodeURIComponent(saleId));
    if (!r.ok) { $("item").textContent = "No sale '" + saleId + "'"; return false; }
    sale = await r.json();
    document.title = sale.item + " – seckill";
    $("item").textContent = sale.item;
    $("description").textContent = sale.description || "";
    $("price").textContent = fmtMoney(sale.price, sale.currency);
    $("limit").textContent = "· at most " + sale.perBuyerLimit + " per buyer";
    return true;
  }

  async function poll() {
    try {
      const r = await fetch("/api/sales/" + encodeURIComponent(saleId) + "/status");
      if (r.ok) {
        status = await r.json();
        offsetMs = Date.parse(status.serverTime) - Date.now();
        render();
      }
    } catch (e) { /* keep the last status; the next poll tries again */ }
    // far from the start poll slowly; near it and while open poll faster, always with jitter
    const untilStart = status ? Date.parse(status.startsAt) - (Date.now() + offsetMs) : 0;
    const base = status && status.state === "UPCOMING" && untilStart > 30000 ? 5000 : 2000;
    setTimeout(poll, base + Math.random() * 1000);
  }

  function render() {
    if (!status) return;
    const now = Date.now() + offsetMs;
    const labels = { UPCOMING: "Not open yet", OPEN: "Open", SOLD_OUT: "Sold out", PAUSED: "Paused",
      ENDED: "Ended", CLOSED: "Closed" };
    $("state").textContent = labels[status.state] || status.state;
    $("available").textContent = status.available;
    if (status.state === "UPCOMING") {
      $("countdown-label").textContent = "Opens in";
      $("countdown").textContent = fmtDuration(Date.parse(status.startsAt) - now);
    } else {
      $("countdown-label").textContent = "Ends in";
      $("countdown").textContent = ["ENDED", "CLOSED"].includes(status.state) ? "–" : fmtDuration(Date.parse(status.endsAt) - now);
    }
    if (status.waitingRoom) { renderQueue(now); return; }
    $("queue").hidden = true;
    $("buy").textContent = "Buy now";
    $("buy").disabled = busy || !status.reservePath || !localStorage.getItem(tokenKey);
  }

  // ---------------------------------------------------------------- the waiting room

  function ticketKey() {
    return "seckill.ticket." + saleId + "." + (localStorage.getItem(tokenKey + ".buyer") || "");
  }

  function joinsFrom() {
    const room = sale && sale.waitingRoom;
    return Date.parse(room && room.preQueueFrom ? room.preQueueFrom : status.startsAt);
  }

  function renderQueue(now) {
    $("queue").hidden = false;
    const a = queue.answer;
    const signedIn = !!localStorage.getItem(tokenKey);
    const over = ["ENDED", "CLOSED", "SOLD_OUT"].includes(status.state) || (a && ["SOLD_OUT", "CLOSED"].includes(a.state));
    let state = "Waiting room", eta = "", place = "", fill = 0;
    if (queue.bought) {
      state = "You have your reservation";
      place = "Your reservation is made (see below): no need to queue again.";
      fill = 100;
    } else if (queue.admission && Date.parse(queue.admissionExpiresAt) > now) {
      state = "It's your turn";
      eta = "· buy before " + new Date(queue.admissionExpiresAt).toLocaleTimeString();
      place = "You are in: buy now.";
      fill = 100;
    } else if (a && a.state === "WAITING") {
      state = "You are in line";
      if (a.ahead === undefined || a.ahead === null) {
        place = "The line starts when the sale opens; places before that are drawn at random at the opening, so there is no need to hurry.";
      } else {
        place = a.ahead === 0 ? "You are next." : a.ahead + " ahead of you.";
        if (queue.firstAhead === null || a.ahead > queue.firstAhead) queue.firstAhead = a.ahead;
        fill = queue.firstAhead > 0 ? Math.round(100 * (1 - a.ahead / queue.firstAhead)) : 0;
      }
      if (a.etaSeconds !== undefined && a.etaSeconds !== null) eta = "· about " + fmtDuration(a.etaSeconds * 1000) + " to go";
    } else if (a && a.state === "EXPIRED") {
      state = "Your turn passed";
      place = "You were let in but did not buy in time. Join again for a new place.";
    } else if (a && OUT[a.state]) {
      state = OUT[a.state].state;
      place = OUT[a.state].place;
    } else if (over) {
      state = status.state === "SOLD_OUT" || (a && a.state === "SOLD_OUT") ? "Sold out" : "The sale has ended";
      place = "";
    } else if (now < joinsFrom()) {
      place = "The line opens in " + fmtDuration(joinsFrom() - now) + ".";
    }
    $("queue-state").textContent = state;
    $("queue-eta").textContent = eta;
    $("queue-place").textContent = place || $("queue-place").textContent;
    $("queue-fill").style.width = fill + "%";
    $("queue-bar").setAttribute("aria-valuenow", String(fill));
    const admitted = queue.admission && Date.parse(queue.admissionExpiresAt) > now;
    const inLine = a && a.state === "WAITING";
    $("buy").hidden = queue.bought;
    $("leave").hidden = queue.bought || !(admitted || inLine);
    $("leave").disabled = busy || queue.leaving;
    if (admitted) {
      $("buy").textContent = "Buy now";
      $("buy").disabled = busy || !status.reservePath || !signedIn;
    } else {
      const again = a && (a.state === "EXPIRED" || OUT[a.state]);
      $("buy").textContent = inLine ? "Waiting for your turn…" : again ? "Join again" : "Join the line";
      $("buy").disabled = busy || queue.joining || inLine || over || !signedIn || now < joinsFrom();
    }
  }

  function answered(a) {
    if (OUT[a.state]) { placeOut(a.state); return; }
    queue.answer = a;
    const letIn = a.state === "ADMITTED" && a.admissionToken !== queue.admission;
    if (a.state === "ADMITTED") {
      queue.admission = a.admissionToken;
      queue.admissionExpiresAt = a.admissionExpiresAt;
    }
    if (a.state === "SOLD_OUT") say("Sold out.", "bad");
    render();
    clearTimeout(queue.timer);
    if (a.state === "WAITING") {
      queue.timer = setTimeout(pollQueue, (a.pollAfterSeconds || 2) * 1000);
    }
    // the buyer joined to buy: once let in, the page reserves one unit at once
    if (letIn && !busy) { say("It's your turn: reserving…", "wait"); buy(0); }
  }

  /** The place is out of the line (left, or revoked by the shop): its ticket and admission are of no more use. */
  function placeOut(state) {
    clearTimeout(queue.timer);
    localStorage.removeItem(ticketKey());
    queue.answer = { state };
    queue.admission = null;
    queue.admissionExpiresAt = null;
    queue.firstAhead = null;
    pendingRequestId = null;
    say("");
    render();
  }

  // Leaves the line with the ticket (a place not let in yet, or an admission not used).
  async function leave() {
    const ticket = localStorage.getItem(ticketKey());
    if (!ticket) { placeOut("LEFT"); return; }
    queue.leaving = true;
    render();
    try {
      const r = await fetch("/api/sales/" + encodeURIComponent(saleId) + "/queue",
        { method: "DELETE", headers: { "X-Queue-Ticket": ticket } });
      const body = await r.json().catch(() => ({}));
      if (r.ok) placeOut(body.state === "REVOKED" ? "REVOKED" : "LEFT");
      else say(body.message || "Could not leave the line; try again.", "bad");
    } catch (e) {
      say("Could not reach the shop; try again.", "bad");
    }
    queue.leaving = false;
    render();
  }

  function accessRefused(r, body) {
    return r.status === 403 && (body.error === "challenge_required" || String(body.error).startsWith("access_token_"));
  }

  // A join that takes a place (no ticket held, or its turn passed) pays the sale's challenge first,
  // when it asks one; if the server asks for it anyway (turned on since the status was read, or the
  // token expired), the page solves it and joins once more, so the buyer never sees that refusal.
  async function join() {
    queue.joining = true;
    render();
    try {
      const held = localStorage.getItem(ticketKey());
      const ticket = held && !(queue.answer && queue.answer.state === "EXPIRED") ? held : null;
      let solveFirst = !ticket && status && status.challenge;
      let r, body;
      for (let tries = 0; tries < 2; tries++) {
        if (solveFirst && !queue.access) {
          say("Verifying…", "wait");
          const solved = await solveChallenge(newRequestId());
          if (typeof solved !== "string") { r = { status: solved.status }; body = solved.body; break; }
          queue.access = solved;
        }
        const headers = { "Authorization": "Bearer " + localStorage.getItem(tokenKey) };
        if (ticket) headers["X-Queue-Ticket"] = ticket;
        if (queue.access) headers["X-Access-Token"] = queue.access;
        r = await fetch("/api/sales/" + encodeURIComponent(saleId) + "/queue", { method: "POST", headers });
        body = await r.json().catch(() => ({}));
        if (!accessRefused(r, body)) break;
        queue.access = null;
        solveFirst = true;
      }
      if (r.ok) {
        queue.access = null;
        localStorage.setItem(ticketKey(), body.ticket);
        queue.firstAhead = null;
        say("");
        answered(body);
      } else if (r.status === 401) {
        localStorage.removeItem(tokenKey);
        say("Your sign-in expired; enter your name again.", "bad");
      } else {
        say({ 410: "Sold out." }[r.status] || body.message || "Could not join the line; try again.", "bad");
      }
    } catch (e) {
      say("Could not reach the shop; try again.", "bad");
    }
    queue.joining = false;
    render();
  }

  async function pollQueue() {
    const ticket = localStorage.getItem(ticketKey());
    if (!ticket) return;
    try {
      const r = await fetch("/api/sales/" + encodeURIComponent(saleId) + "/queue", { headers: { "X-Queue-Ticket": ticket } });
      const a = r.ok ? await r.json() : null;
      if (localStorage.getItem(ticketKey()) !== ticket) return; // left (or joined anew) while this poll was out
      if (a) { answered(a); return; }
      if (r.status === 403) { localStorage.removeItem(ticketKey()); queue.answer = null; render(); return; }
    } catch (e) { /* try again below */ }
    queue.timer = setTimeout(pollQueue, 2000 + Math.random() * 1000);
  }

  async function signIn() {
    const name = $("buyer").value.trim();
    if (!name) { say("Enter a name first.", "bad"); return; }
    const r = await fetch("/dev/tokens", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ buyer: name }) });
    const body = await r.json().catch(() => ({}));
    if (r.status === 201) {
      localStorage.setItem(tokenKey, body.token);
      localStorage.setItem(tokenKey + ".buyer", body.buyer);
      showBuyer();
      say("");
    } else if (r.status === 404) {
      $("buyer-hint").textContent = "Dev tokens are off on this server: sign in through the shop.";
    } else {
      say(body.message || "Could not sign in.", "bad");
    }
  }

  function showBuyer() {
    const who = localStorage.getItem(tokenKey + ".buyer");
    if (who) $("buyer-hint").textContent = "Buying as " + who + ".";
    render();
  }

  async function buy(attempt) {
    if (status && status.waitingRoom && !(queue.admission && Date.parse(queue.admissionExpiresAt) > Date.now() + offsetMs)) {
      join();
      return;
    }
    if (!status || !status.reservePath) return;
    busy = true;
    render();
    pendingRequestId = pendingRequestId || newRequestId();
    let r, body;
    try {
      const headers = { "Content-Type": "application/json", "Authorization": "Bearer " + localStorage.getItem(tokenKey) };
      // a sale with a waiting room asked its challenge at the door: the admission token stands for it
      if (status.challenge && !status.waitingRoom && !accessToken) {
        say("Verifying…", "wait");
        const solved = await solveChallenge(pendingRequestId);
        if (typeof solved === "string") accessToken = solved;
        else { r = { status: solved.status, headers: new Headers() }; body = solved.body; }
      }
      if (!r) {
        if (accessToken) headers["X-Access-Token"] = accessToken;
        if (queue.admission) headers["X-Admission-Token"] = queue.admission;
        say(attempt ? "Busy, trying again…" : "Reserving…", "wait");
        r = await fetch(status.reservePath, {
          method: "POST", headers, body: JSON.stringify({ requestId: pendingRequestId, quantity: 1 })
        });
        body = await r.json().catch(() => ({}));
        // a 429 is answered before the token is looked at; any other answer used it up
        if (r.status !== 429) accessToken = null;
        // the admission is used by any answer but a busy one (the node frees it again then)
        if (r.status !== 429 && r.status !== 503) queue.admission = null;
      }
    } catch (e) {
      r = { status: 503, headers: new Headers() };
      body = { message: "network error" };
    }
    if ((r.status === 503 || r.status === 429) && attempt < 5) {
      const wait = Number(r.headers.get("Retry-After") || "1") * 1000 + Math.random() * 500;
      say("Busy, trying again in " + Math.ceil(wait / 1000) + " s…", "wait");
      setTimeout(() => buy(attempt + 1), wait);
      return;
    }
    busy = false;
    if (r.status === 410 && attempt > 0) {
      // sold out at the edge, but an earlier try of this same request may have won: ask the sale
      const mine = await fetch("/api/sales/" + encodeURIComponent(saleId) + "/reservations", {
        headers: { "Authorization": "Bearer " + localStorage.getItem(tokenKey) } }).then((x) => x.json()).catch(() => null);
      const won = mine && mine.reservations && mine.reservations.find((x) => x.requestId === pendingRequestId);
      if (won) { r = { status: 201 }; body = won; }
    }
    if (r.status === 201) {
      pendingRequestId = null;
      accessToken = null;
      const until = body.expiresAt ? " Pay before " + new Date(body.expiresAt).toLocaleTimeString() + "." : "";
      const what = body.status === "PENDING_PAYMENT" ? "Order placed" : body.status === "HELD" ? "Unit held for you" : "It's yours";
      say(what + " (reservation " + body.reservationId + ")." + until, "ok");
      if (status && status.waitingRoom) {
        // the admission is spent: the ticket would only lead a reload to a refused reserve
        queue.bought = true;
        clearTimeout(queue.timer);
        localStorage.removeItem(ticketKey());
      }
    } else if (r.status === 401) {
      localStorage.removeItem(tokenKey);
      say("Your sign-in expired; enter your name again.", "bad");
    } else if (r.status === 403 && body.error === "admission_revoked") {
      placeOut("REVOKED");
      return;
    } else if (r.status === 403 && body.error && body.error.startsWith("admission_")) {
      pendingRequestId = null;
      queue.admission = null;
      queue.answer = { state: "EXPIRED" };
      say("Your turn passed; join the line again.", "bad");
    } else {
      if (r.status !== 503 && r.status !== 429) { pendingRequestId = null; accessToken = null; }
      const text = { 410: "Sold out.", 409: body.message || "Not possible right now." }[r.status];
      say(text || body.message || "Something went wrong; try again.", "bad");
    }
    render();
  }

  $("sign-in").addEventListener("click", signIn);
  $("buyer").addEventListener("keydown", (e) => { if (e.key === "Enter") signIn(); });
  $("buy").addEventListener("click", () => buy(0));
  $("leave").addEventListener("click", leave);
  setInterval(render, 250);
  showBuyer();
  loadSale().then((found) => {
    if (!found) return;
    poll();
    // back on the page with a ticket: pick up the place where it was
    if (localStorage.getItem(ticketKey())) pollQueue();
  });
})();
