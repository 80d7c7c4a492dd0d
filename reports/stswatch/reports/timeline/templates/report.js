"use strict";
// Click-to-inspect for stswatch reports. Reads the embedded JSON, never writes HTML from it:
// every recorded string reaches the page through textContent only.
// Large reports carry the data gzipped (base64); the browser's DecompressionStream inflates it.
async function loadData() {
  const block = JSON.parse(document.getElementById("stswatch-data").textContent);
  if (!block.gzip) return block;
  const bytes = Uint8Array.from(atob(block.gzip), (ch) => ch.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return JSON.parse(await new Response(stream).text());
}

loadData().then((data) => {
  const SVG = "http://www.w3.org/2000/svg";
  const byId = (id) => document.getElementById(id);
  const state = { tl: 0, id: null };
  const nextOf = data.timelines.map((tl) => {
    const next = {};
    for (const [id, c] of Object.entries(tl.changes)) {
      if (c.prev !== null) next[c.prev] = Number(id);
    }
    return next;
  });

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
    td.textContent = text;
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
  function placeOf(tl, c) {
    const row = c.lane ? tl.rows[c.lane] : null;
    return row ? { y: row[0], h: row[1] } : null;
  }

  function mark(tlIndex, ids, cls) {
    const tl = data.timelines[tlIndex];
    const overlay = byId("overlay" + tlIndex);
    if (!overlay) return null;
    let first = null;
    for (const id of ids) {
      const c = tl.changes[id];
      if (!c) continue;
      const x = xOf(tl, c.t);
      const place = placeOf(tl, c);
      if (place) {
        const ring = svgEl("rect", {
          x: x - 5, y: place.y - 3, width: 10, height: place.h + 6, rx: 3, class: cls,
        });
        overlay.appendChild(ring);
        first = first || ring;
      }
      const line = svgEl("path", { d: `M${x} ${tl.plot[0]}V${tl.plot[1]}`, class: "hl-line" });
      overlay.appendChild(line);
      first = first || line;
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
    const c = tl && tl.changes[id];
    if (!c) return;
    state.tl = tlIndex;
    state.id = Number(id);
    if (!keepMarks) clearMarks();
    mark(tlIndex, [id], "hl-selected");
    byId("inspector-hint").hidden = true;
    byId("inspector-body").hidden = false;
    byId("ch-kind").textContent = c.kind;
    byId("ch-name").textContent = (c.ns ? c.ns + "/" : "") + c.name;
    byId("ch-event").textContent = c.event;
    const session = data.timelines.length > 1 ? ` (session ${tl.session})` : "";
    const shift = tl.scale.offset ? `, ${(c.t - tl.scale.offset).toFixed(3)} s from its first scale-up` : "";
    byId("ch-t").textContent = `${c.t.toFixed(3)} s${shift}${session}`;
    byId("ch-id").textContent = "#" + id;
    byId("ch-rv").textContent = c.rv;
    byId("ch-observed").textContent = c.observed;
    byId("ch-uid").textContent = c.uid;
    byId("ch-prev").disabled = c.prev === null;
    byId("ch-next").disabled = nextOf[tlIndex][id] === undefined;
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
        name.textContent = path;
        where.appendChild(name);
        for (const [text, cls] of [[op === "+" ? null : fmtValue(oldV), "old"],
                                   [op === "-" ? null : fmtValue(newV), "new"]]) {
          if (text === null) continue;
          const value = document.createElement("span");
          value.className = cls;
          value.textContent = text;
          where.appendChild(value);
        }
      }
    } else {
      byId("ch-diff-title").textContent = "First change seen for this object: the whole object";
      pre.textContent = JSON.stringify(c.object, null, 2);
    }
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
      showChange(Number(link.dataset.tl), link.dataset.c);
      const first = byId("overlay" + link.dataset.tl).lastChild;
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
    const c = data.timelines[state.tl].changes[state.id];
    if (c && c.prev !== null) showChange(state.tl, c.prev);
  });
  byId("ch-next").addEventListener("click", () => {
    const next = nextOf[state.tl][state.id];
    if (next !== undefined) showChange(state.tl, next);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") clearMarks();
  });
  document.body.dataset.ready = "true";
});
