"use strict";
// stswatch serve: fills the store's session table, and follows a session as it is recorded.
// Every recorded string is placed with textContent, never parsed as markup.
(function () {
  const data = JSON.parse(document.getElementById("serve-data").textContent);
  const OUTCOMES = ["pass", "fail", "not-applicable", "inconclusive", "live"];

  // Controls, separators and bidirectional marks in recorded text shown as \u escapes, never
  // obeyed (a U+202E would reverse the text after it).
  const OBEYED = /[@OBEYED@]/g; // stswatch.safe_text.JS_CLASS, placed when the page is written
  function put(el, text) {
    el.textContent = String(text).replace(
      OBEYED, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
  }

  function totalsText(totals) {
    return OUTCOMES.filter((o) => totals[o]).map((o) => totals[o] + " " + o).join(", ") || "none";
  }

  async function getJson(url) {
    const response = await fetch(url, { cache: "no-store", credentials: "same-origin" });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || response.statusText);
    return body;
  }

  // The store's page: one session's summary after the other (the server analyses one at a time).
  async function fillSessions() {
    for (const [i, row] of data.sessions.entries()) {
      const tr = document.getElementById("session-" + i);
      try {
        const s = await getJson(row.summary);
        put(tr.querySelector(".sets"), s.statefulsets.join(", ") || "none");
        put(tr.querySelector(".episodes"), String(s.episodes.length));
        put(tr.querySelector(".totals"), totalsText(s.totals));
        put(tr.querySelector(".state"), s.recording ? "recording" : "");
        for (const c of tr.querySelectorAll(".muted")) c.classList.remove("muted");
      } catch (err) {
        put(tr.querySelector(".totals"), String(err.message));
      }
    }
  }

  // A session's page.
  let shown = data.newest;  // the newest change the drawn report holds
  let busy = false;
  let again = false;
  let recording = false;

  function drawSummary(s) {
    recording = s.recording;
    const state = document.getElementById("state");
    put(state, s.recording ? "live" : "recorded");
    state.classList.toggle("live", s.recording);
    const totals = document.getElementById("totals");
    totals.replaceChildren();
    for (const o of OUTCOMES) {
      if (!s.totals[o]) continue;
      const span = document.createElement("span");
      span.className = "t-" + o;
      put(span, s.totals[o] + " " + o + " ");
      totals.append(span);
    }
    const note = document.createElement("span");
    put(note, "· " + s.statefulsets.length + " StatefulSet(s), newest change #" + s.newest_change_id);
    totals.append(note);
    const holds = document.getElementById("holds");
    holds.replaceChildren(...s.holds.map((h) => { const li = document.createElement("li"); put(li, h); return li; }));
    const list = document.getElementById("episodes");
    list.replaceChildren(...s.episodes.map((e) => {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = e.href;
      a.target = "_top";
      put(a, e.statefulset + ": " + e.summary);
      li.append(a, document.createTextNode(" — " + (e.live ? "live" : e.state) + (e.progress ? ": " + e.progress : "")));
      return li;
    }));
    put(document.getElementById("episode-count"), "(" + s.episodes.length + ")");
    document.getElementById("error").hidden = true;
  }

  function showError(message) {
    const box = document.getElementById("error");
    put(box, message);
    box.hidden = false;
  }

  // The reader's place in the report (where it is scrolled, and its lanes) carries over.
  function keepPlace(old, next) {
    try {
      const from = old.contentWindow, to = next.contentWindow;
      to.scrollTo(from.scrollX, from.scrollY);
      for (const selector of [".scroll", ".vscroll", ".side"]) {
        const a = from.document.querySelector(selector), b = to.document.querySelector(selector);
        if (a && b) { b.scrollLeft = a.scrollLeft; b.scrollTop = a.scrollTop; }
      }
    } catch (err) { /* a report that failed to draw has no such place */ }
  }

  // Draw the report anew in a hidden frame, then swap it in: the page never blanks or reloads.
  function swapReport(newest) {
    return new Promise((resolve) => {
      const box = document.getElementById("reports");
      const old = box.querySelector("iframe.report:not(.next)");
      const next = document.createElement("iframe");
      next.className = "report next";
      next.title = old ? old.title : "report";
      next.src = data.report;
      next.addEventListener("load", () => {
        if (old) keepPlace(old, next);
        if (old) old.remove();
        next.classList.remove("next");
        shown = newest;
        document.body.dataset.shown = String(newest);
        resolve();
      }, { once: true });
      box.append(next);
    });
  }

  async function refresh(redraw) {
    if (busy) { again = again || redraw; return; }
    busy = true;
    try {
      const s = await getJson(data.summary);
      drawSummary(s);
      if (redraw) await swapReport(s.newest_change_id);
    } catch (err) {
      showError(String(err.message));
    } finally {
      busy = false;
      if (again) { again = false; refresh(true); }
    }
  }

  function follow() {
    document.body.dataset.shown = String(shown);
    refresh(false);
    const events = new EventSource(data.events);
    events.addEventListener("news", (event) => {
      const news = JSON.parse(event.data);
      if (news.why === "error") { showError(news.error); return; }
      refresh(news.newest_change_id !== shown || news.why !== "change");
    });
    // An open hold grows without a new change: tell its "so far" anew while recording.
    setInterval(() => { if (recording && !busy) refresh(false); }, 5000);
  }

  if (data.page === "store") fillSessions(); else follow();
})();
