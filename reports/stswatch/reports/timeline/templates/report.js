"use strict";
// Click-to-inspect for stswatch reports. Reads the embedded JSON, never writes HTML from it:
// every recorded string reaches the page through textContent only, and through plainText:
// controls, separators and bidirectional marks in it are shown as \u escapes, never obeyed (a
// U+202E would reverse the text after it).
const OBEYED = /[@OBEYED@]/g; // stswatch.safe_text.JS_CLASS, placed when the page is written
function plainText(text) {
  return String(text).replace(OBEYED, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}
// Large reports carry the data gzipped (base64); the browser's DecompressionStream inflates it.
// Gzipped as lines, the first line is the data and each further one a change's JSON text,
// timeline after timeline.
async function loadData() {
  const block = JSON.parse(document.getElementById("stswatch-data").textContent);
  if (!block.gzip) return block;
  const text = atob(block.gzip);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  const inflated = await new Response(stream).text();
  if (!block.lines) return JSON.parse(inflated);
  const lines = inflated.split("\n");
  const data = JSON.parse(lines[0]);
  let next = 1;
  for (const tl of data.timelines) {
    tl.changes.detail = lines.slice(next, next + tl.changes.id.length);
    next += tl.changes.id.length;
  }
  return data;
}

loadData().then((data) => {
  const SVG = "http://www.w3.org/2000/svg";
  const byId = (id) => document.getElementById(id);
  const state = { tl: 0, id: null };
  const views = data.timelines.map((tl, i) => (tl.virtual ? laneView(tl, i) : null));
  // The changes come as columns (id, t, lane, object, event, ...) and a JSON text per change
  // (its diff, or the whole object for an object's first change), parsed when shown. A change's
  // previous one is its object's (same kind and uid) last change before it, none after a DELETED.
  for (const tl of data.timelines) {
    const ch = tl.changes;
    ch.at = new Map();
    ch.next = new Map();
    ch.prev = new Array(ch.id.length);
    const same = new Map();
    const key = ch.objects.map(([kind, , , uid]) => {
      const k = JSON.stringify([kind, uid]);
      if (!same.has(k)) same.set(k, same.size);
      return same.get(k);
    });
    const last = new Array(same.size).fill(null);
    const deleted = ch.words.indexOf("DELETED");
    ch.id.forEach((id, i) => {
      ch.at.set(id, i);
      const k = key[ch.obj[i]];
      const prev = last[k];
      ch.prev[i] = prev;
      if (prev !== null) ch.next.set(prev, id);
      last[k] = ch.ev[i] === deleted ? null : id;
    });
  }

  // A change's time, lane and previous change; with `whole`, also what its JSON text says.
  function changeOf(tl, id, whole) {
    const ch = tl.changes;
    const i = ch.at.get(Number(id));
    if (i === undefined) return null;
    const brief = { t: ch.t[i], lane: ch.lane[i] < 0 ? null : ch.lanes[ch.lane[i]], prev: ch.prev[i] };
    if (!whole) return brief;
    const [kind, ns, name, uid] = ch.objects[ch.obj[i]];
    const body = JSON.parse(ch.detail[i]);
    const diff = Array.isArray(body) ? body : null;
    return Object.assign({
      kind, ns, name, uid, event: ch.words[ch.ev[i]], rv: ch.rv[i], observed: ch.words[ch.seen[i]],
      diff, object: diff ? null : body,
    }, brief);
  }

  function xOf(tl, t) {
    const s = tl.scale;
    return s.left + (t - s.offset - s.tMin) * s.pxPerS;
  }

  function fmtValue(v) {
    if (v === null || v === undefined) return "∅";
    return typeof v === "string" ? v : JSON.stringify(v);
  }

  function cell(row, text, cls) {
    const td = row.insertCell();
    td.textContent = plainText(text);
    if (cls) td.className = cls;
    return td;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function svgEl(name, attrs) {
    const el = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    return el;
  }

  // Where a change is drawn: its lane's row, or (not on a lane) the whole plot height.
  function placeOf(tlIndex, c) {
    const view = views[tlIndex];
    if (view) return c.lane ? view.place(c.lane) : null;
    const row = c.lane ? data.timelines[tlIndex].rows[c.lane] : null;
    return row ? { y: row[0], h: row[1] } : null;
  }

  // Rings the moments `ids` and returns the first thing drawn (to scroll to), if any.
  function mark(tlIndex, ids, cls) {
    const tl = data.timelines[tlIndex];
    const view = views[tlIndex];
    const overlay = byId("overlay" + tlIndex);
    if (!overlay) return null;
    const plot = view ? view.plot() : tl.plot;
    let first = null;
    for (const id of ids) {
      const c = changeOf(tl, id, false);
      if (!c) continue;
      const x = xOf(tl, c.t);
      const place = placeOf(tlIndex, c);
      if (place) {
        const ring = svgEl("rect", {
          x: x - 5, y: place.y - 3, width: 10, height: place.h + 6, rx: 3, class: cls,
        });
        overlay.appendChild(ring);
        first = first || ring;
      }
      const line = svgEl("path", { d: `M${x} ${plot[0]}V${plot[1]}`, class: "hl-line" });
      overlay.appendChild(line);
      // A virtualised plot is tens of thousands of pixels tall: scroll to rings, never to lines.
      if (!view) first = first || line;
    }
    return first;
  }

  function clearMarks() {
    data.timelines.forEach((_, i) => {
      const overlay = byId("overlay" + i);
      if (overlay) clear(overlay);
    });
  }

  function showChange(tlIndex, id, keepMarks) {
    const tl = data.timelines[tlIndex];
    const c = tl && changeOf(tl, id, true);
    if (!c) return null;
    state.tl = tlIndex;
    state.id = Number(id);
    if (!keepMarks) clearMarks();
    const ring = mark(tlIndex, [id], "hl-selected");
    byId("inspector-hint").hidden = true;
    byId("inspector-body").hidden = false;
    byId("ch-kind").textContent = plainText(c.kind);
    byId("ch-name").textContent = plainText((c.ns ? c.ns + "/" : "") + c.name);
    byId("ch-event").textContent = plainText(c.event);
    const session = data.timelines.length > 1 ? ` (session ${tl.session})` : "";
    const shift = tl.scale.offset ? `, ${(c.t - tl.scale.offset).toFixed(3)} s from its first scale-up` : "";
    byId("ch-t").textContent = `${c.t.toFixed(3)} s${shift}${session}`;
    byId("ch-id").textContent = "#" + id;
    byId("ch-rv").textContent = plainText(c.rv);
    byId("ch-observed").textContent = plainText(c.observed);
    byId("ch-uid").textContent = plainText(c.uid);
    byId("ch-prev").disabled = c.prev === null;
    byId("ch-next").disabled = !tl.changes.next.has(Number(id));
    const table = byId("ch-diff").tBodies[0];
    clear(table);
    const pre = byId("ch-object");
    pre.textContent = "";
    if (c.diff) {
      byId("ch-diff-title").textContent =
        `${c.diff.length} field${c.diff.length === 1 ? "" : "s"} changed since change #${c.prev}`;
      for (const [op, path, oldV, newV] of c.diff) {
        const row = table.insertRow();
        cell(row, op, op === "+" ? "op-add" : op === "-" ? "op-del" : "");
        const where = cell(row, "");
        const name = document.createElement("div");
        name.className = "path";
        name.textContent = plainText(path);
        where.appendChild(name);
        for (const [text, cls] of [[op === "+" ? null : fmtValue(oldV), "old"],
                                   [op === "-" ? null : fmtValue(newV), "new"]]) {
          if (text === null) continue;
          const value = document.createElement("span");
          value.className = cls;
          value.textContent = plainText(text);
          where.appendChild(value);
        }
      }
    } else {
      byId("ch-diff-title").textContent = "First change seen for this object: the whole object";
      pre.textContent = plainText(JSON.stringify(c.object, null, 2));
    }
    return ring;
  }

  function nearestMoment(tlIndex, laneKey, t) {
    const moments = data.timelines[tlIndex].moments[laneKey] || [];
    let best = null;
    for (const [mt, id] of moments) {
      if (best === null || Math.abs(mt - t) < Math.abs(best[0] - t)) best = [mt, id];
    }
    return best ? best[1] : null;
  }

  function svgX(svg, event) {
    const point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    return point.matrixTransform(svg.getScreenCTM().inverse()).x;
  }

  document.querySelectorAll("svg.timeline").forEach((svg) => {
    const tlIndex = Number(svg.dataset.tl);
    svg.addEventListener("click", (event) => {
      const target = event.target.closest("[data-c]");
      if (target) {
        showChange(tlIndex, target.dataset.c);
        return;
      }
      const lane = event.target.closest("[data-lane]");
      if (!lane) return;
      const tl = data.timelines[tlIndex];
      const t = (svgX(svg, event) - tl.scale.left) / tl.scale.pxPerS + tl.scale.tMin + tl.scale.offset;
      const id = nearestMoment(tlIndex, lane.dataset.lane, t);
      if (id !== null) showChange(tlIndex, id);
    });
  });

  document.addEventListener("click", (event) => {
    const link = event.target.closest("button.ev-link");
    if (link) {
      const first = showChange(Number(link.dataset.tl), link.dataset.c);
      if (first) first.scrollIntoView({ block: "center", inline: "center" });
      return;
    }
    const all = event.target.closest("button.ev-all");
    if (all) {
      const tlIndex = Number(all.dataset.tl);
      const ids = all.dataset.ev.split(" ");
      clearMarks();
      const first = mark(tlIndex, ids, "hl-ring");
      showChange(tlIndex, ids[0], true);
      if (first) first.scrollIntoView({ block: "center", inline: "center" });
    }
  });

  byId("ch-prev").addEventListener("click", () => {
    const c = changeOf(data.timelines[state.tl], state.id, false);
    if (c && c.prev !== null) showChange(state.tl, c.prev);
  });
  byId("ch-next").addEventListener("click", () => {
    const next = data.timelines[state.tl].changes.next.get(state.id);
    if (next !== undefined) showChange(state.tl, next);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") clearMarks();
  });
  // A large report's lanes are data: only the lanes scrolled into view are in the DOM, drawn
  // like a small report's (same classes, same data-c and data-lane), and a filter by ordinal
  // range and name chooses the lanes the scroll runs through.
  function laneView(tl, tlIndex) {
    const v = tl.virtual;
    const svg = byId("lanes" + tlIndex);
    const box = byId("vscroll" + tlIndex);
    const rowsG = svg.querySelector("g.vrows");
    const left = tl.scale.left;
    const pad = 6;
    const found = {};
    const ch = tl.changes;
    ch.lane.forEach((lane, i) => {
      const key = ch.lanes[lane];
      if (lane >= 0 && !(key in tl.moments)) (found[key] ||= []).push([ch.t[i], ch.id[i]]);
    });
    for (const [key, moments] of Object.entries(found)) {
      tl.moments[key] = moments.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    }
    const held = {};
    for (const [key, start, end] of v.held) (held[key] ||= []).push([start, end]);
    let shown = v.lanes.map((_, i) => i);
    let index = new Map();
    let drawn = "";
    let pending = false;

    const top = (pos) => pad + pos * v.pitch;
    const width = (start, end) => Math.max((end - start) * tl.scale.pxPerS, 1);

    function titled(el, text) {
      const title = document.createElementNS(SVG, "title");
      title.textContent = plainText(text);
      el.appendChild(title);
      return el;
    }

    function laneRow([key, kind, name, , incarnations, uids, segs, warnings], y) {
      const h = v.height;
      const moments = tl.moments[key] || [];
      const g = svgEl("g", { class: `lane lane-${kind}`, "data-lane": key });
      const label = svgEl("text", { class: "lane-label", x: left - 8, y: y + h / 2 + 3 });
      label.textContent = plainText(incarnations > 1 ? `${name} ×${incarnations}` : name);
      g.appendChild(titled(label,
        `${name}: ${incarnations} incarnation(s), ${moments.length} recorded change(s)`));
      g.appendChild(svgEl("rect", {
        class: "lane-bg", x: left, y, width: tl.scale.width, height: h,
      }));
      let uid = -1;
      for (let i = 0; i < segs.length; i += 7) {
        const [st, start, end, cid, u, note, open] = segs.slice(i, i + 7);
        const x = xOf(tl, start);
        const noteText = v.notes[note] ? ` (${v.notes[note]})` : "";
        const still = open ? " (still, when the recording ended)" : "";
        g.appendChild(titled(svgEl("rect", {
          class: `seg s-${v.states[st]}`, x, y, width: width(start, end), height: h, "data-c": cid,
        }), `${name}: ${v.labels[st]}${noteText}, ${start.toFixed(2)}s → ${end.toFixed(2)}s` +
            `${still} · uid ${uids[u]} · change #${cid}`));
        if (u !== uid) g.appendChild(svgEl("path", { class: "birth", d: `M${x} ${y - 1}v${h + 2}` }));
        uid = u;
      }
      if (moments.length) {
        const d = moments.map(([t]) => `M${xOf(tl, t)} ${y + h}v-3`).join("");
        g.appendChild(svgEl("path", { class: "ticks", d }));
      }
      for (const [t, cid, text] of warnings) {
        const x = xOf(tl, t);
        g.appendChild(titled(svgEl("path", {
          class: "ev ev-warning", d: `M${x} ${y - 2}l6 6l-6 6l-6 -6z`, "data-c": cid,
        }), text));
      }
      for (const [start, end] of held[key] || []) {
        const w = width(start, end);
        g.appendChild(svgEl("path", {
          class: "held-lane", d: `M${xOf(tl, start)} ${y - 1}h${w}v${h + 2}h-${w}z`,
        }));
      }
      return g;
    }

    function render() {
      const first = Math.max(0, Math.floor((box.scrollTop - pad) / v.pitch) - 10);
      const last = Math.min(shown.length, Math.ceil((box.scrollTop + box.clientHeight) / v.pitch) + 10);
      if (drawn === `${first}:${last}`) return;
      drawn = `${first}:${last}`;
      const rows = document.createDocumentFragment();
      for (let pos = first; pos < last; pos++) rows.appendChild(laneRow(v.lanes[shown[pos]], top(pos)));
      clear(rowsG);
      rowsG.appendChild(rows);
    }

    function number(id) {
      const text = byId(id + tlIndex).value.trim();
      return text === "" ? null : Number(text);
    }

    function filter() {
      const from = number("flt-from");
      const to = number("flt-to");
      const part = byId("flt-name" + tlIndex).value.trim();
      shown = [];
      v.lanes.forEach(([, , name, ordinal], i) => {
        if ((from !== null || to !== null) && ordinal === null) return;
        if (from !== null && ordinal < from) return;
        if (to !== null && ordinal > to) return;
        if (part && !name.includes(part)) return;
        shown.push(i);
      });
      index = new Map(shown.map((i, pos) => [v.lanes[i][0], pos]));
      svg.setAttribute("height", String(shown.length * v.pitch + 2 * pad));
      byId("flt-count" + tlIndex).textContent = `${shown.length} of ${v.lanes.length} lanes`;
      drawn = "";
      box.scrollTop = 0;
      render();
    }

    box.addEventListener("scroll", () => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        render();
      });
    });
    for (const id of ["flt-from", "flt-to", "flt-name"]) {
      byId(id + tlIndex).addEventListener("input", () => {
        filter();
        if (state.id !== null && state.tl === tlIndex) showChange(tlIndex, state.id);
      });
    }
    filter();
    return {
      place(key) {
        const pos = index.get(key);
        return pos === undefined ? null : { y: top(pos), h: v.height };
      },
      plot: () => [0, shown.length * v.pitch + 2 * pad],
    };
  }

  document.body.dataset.ready = "true";
});
