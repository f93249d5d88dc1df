// lstm-viz text view: the typed text, each character's background one unit's value after reading it
// (Karpathy, Johnson & Fei-Fei 2015), or how strongly h at the character under the cursor depends on each
// earlier input (Madsen 2019). Every unit arrives at once (lstm_viz/figures/textview.py), so switching units,
// states and modes happens here, with no server round trip.
//
// Vanilla JS, no build step; mounted by lstm_viz/ui/textview/__init__.py with st.components.v2. A second,
// tiny component hands the view the server's ranking and chosen unit (window.__lstmVizTextView). The view
// reports back through triggers: "span" when a span is selected (first, last), "pick" a moment after the
// visitor settles on a unit ("c71"), so the link follows. The text is written with textContent only.

const REGISTRY = "__lstmVizTextView";
const SETTLE_MS = 1500;          // a unit held this long is reported (the URL follows; no run per key press)

function registry() {
  return window[REGISTRY] || (window[REGISTRY] = { views: {}, last: {}, loads: 0 });
}

// ---------------------------------------------------------------------------------------------
// the frame: "LVT1", header length n (uint32 LE), n bytes of header JSON padded with \0, arrays at their offsets

function halfs(u16) {            // IEEE half floats to Float32Array
  const out = new Float32Array(u16.length);
  for (let k = 0; k < u16.length; k++) {
    const b = u16[k], s = b & 0x8000 ? -1 : 1, e = (b >> 10) & 31, m = b & 1023;
    out[k] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return out;
}

function readFrame(data) {
  const u8 = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (String.fromCharCode(...u8.subarray(0, 4)) !== "LVT1") throw new Error("lstm-viz: not a text view frame");
  const n = new DataView(u8.buffer, u8.byteOffset + 4, 4).getUint32(0, true);   // the header, padded with \0
  const head = JSON.parse(new TextDecoder().decode(u8.subarray(8, 8 + n)).replace(/\0+$/, ""));
  const body = u8.slice(8 + n);                                       // a copy, aligned for typed arrays
  const arrays = {};
  for (const [name, ref] of Object.entries(head.arrays)) {
    const count = ref.shape.reduce((a, b) => a * b, 1);
    arrays[name] = ref.dtype === "u1" ? body.subarray(ref.offset, ref.offset + count)
      : halfs(new Uint16Array(body.buffer, ref.offset, count));
  }
  return { head, arrays };
}

// ---------------------------------------------------------------------------------------------
// colour: the scales the figures use (lstm_viz/figures/_plot.py), sent in the header as plotly stops

function stops(scale) {
  return scale.map(([at, c]) => [at, c.startsWith("#") ? [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16))
    : c.match(/\d+/g).slice(0, 3).map(Number)]);
}

function at(scale, x) {          // rgb of x in [0, 1] on a list of [position, rgb] stops
  const p = Math.min(1, Math.max(0, x));
  let k = 1;
  while (k < scale.length - 1 && scale[k][0] < p) k++;
  const [x0, c0] = scale[k - 1], [x1, c1] = scale[k];
  const w = x1 > x0 ? (p - x0) / (x1 - x0) : 0;
  return c0.map((v, j) => Math.round(v + (c1[j] - v) * w));
}

function paint(node, rgb) {
  if (!rgb) { node.style.background = ""; node.style.color = ""; return; }
  node.style.background = `rgb(${rgb.join(",")})`;
  node.style.color = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] > 140 ? "#111" : "#fff";
}

const bar = (scale) => `linear-gradient(to right, ${scale.map(([p, c]) => `rgb(${c.join(",")}) ${100 * p}%`).join(", ")})`;
const shown = (ch) => ({ " ": "␣", "\n": "↵", "\t": "⇥" }[ch] || ch);
const dec = (v, d, plus) => (plus && v >= 0 ? "+" : "") + v.toFixed(d);

// ---------------------------------------------------------------------------------------------
// the view

const HTML = `
<div class="tv-bar">
  <label class="tv-field">unit <input type="number" class="tv-unit" min="0" step="1" inputmode="numeric"
    aria-label="Unit (↑ ↓ or k j on the text)"></label>
  <span class="tv-group" role="group" aria-label="State shown">
    <button type="button" data-state="h" title="hidden state h, what the unit shows the read-out">h</button><button
      type="button" data-state="c" title="cell state c, the unit's long-term memory">c</button></span>
  <span class="tv-group" role="group" aria-label="Colour by">
    <button type="button" data-mode="unit">unit value</button><button type="button" data-mode="conn">connectivity</button></span>
  <button type="button" class="tv-select" aria-pressed="false"
    title="Tap the first and the last character of a span (a mouse can drag across it)">select a span</button>
</div>
<div class="tv-rank"><span class="tv-rank-title"></span><span class="tv-chips"></span></div>
<div class="tv-legend"><span class="tv-key-title"></span><span class="tv-key"><span class="tv-key-bar"></span>
  <span class="tv-key-ends"><span class="tv-lo"></span><span class="tv-mid"></span><span class="tv-hi"></span></span></span></div>
<div class="tv-text" aria-label="The text, coloured"></div>
<p class="tv-hint">Hover or tap a character for every gate of this unit there and the model's five best guesses
  for the next one. On the text: ↑ ↓ (or k j) change the unit, ← → move along the text, Esc hides the box.</p>
<div class="tv-tip" role="tooltip" hidden></div>`;

class View {
  constructor(host, api) {
    this.api = api;
    this.root = document.createElement("div");
    this.root.className = "tv";
    this.root.tabIndex = 0;
    this.root.innerHTML = HTML;
    host.appendChild(this.root);
    this.q = (s) => this.root.querySelector(s);
    Object.assign(this, { unit: 0, state: "c", mode: "unit", cursor: null, pinned: false, anchor: null,
      span: null, serverPick: null, rid: null, selecting: false, reportTimer: null });
    this.wire();
  }

  wire() {
    const q = this.q, text = q(".tv-text");
    q(".tv-unit").addEventListener("input", (e) => { if (e.target.value !== "") this.pick(this.state, +e.target.value, true); });
    for (const b of this.root.querySelectorAll("[data-state]")) b.onclick = () => this.pick(b.dataset.state, this.unit, true);
    for (const b of this.root.querySelectorAll("[data-mode]")) b.onclick = () => { this.mode = b.dataset.mode; this.render(); };
    q(".tv-select").onclick = () => { this.selecting = !this.selecting; this.anchor = null; this.render(); };
    q(".tv-chips").addEventListener("click", (e) => {
      const chip = e.target.closest("[data-pick]");
      if (chip) this.pick(chip.dataset.pick[0], +chip.dataset.pick.slice(1), true);
    });
    text.addEventListener("pointerover", (e) => { if (e.pointerType === "mouse" && !this.pinned) this.hover(e); });
    text.addEventListener("pointerleave", (e) => { if (e.pointerType === "mouse" && !this.pinned) this.hideTip(); });
    text.addEventListener("pointerdown", (e) => this.press(e));
    text.addEventListener("pointermove", (e) => this.drag(e));
    text.addEventListener("pointerup", (e) => this.release(e));
    this.root.addEventListener("keydown", (e) => this.key(e));
  }

  setData(data, api) {
    this.api = api;
    const u8 = data instanceof Uint8Array ? data : new Uint8Array(data);
    if (this.raw && this.raw.length === u8.length && this.raw.every((v, k) => v === u8[k])) return;   // sent again
    this.raw = u8;
    const { head, arrays } = readFrame(u8);
    registry().loads += 1;                            // frames decoded so far (tests: none per key press)
    this.M = { ...head, ...arrays, signed: stops(head.scales.signed), seq: stops(head.scales.sequential) };
    this.target = head.target || null;
    const unit = this.q(".tv-unit");
    unit.max = String(this.M.H - 1);
    this.q(".tv-text").setAttribute("aria-label", `The text, ${this.M.T} characters, coloured`);
    this.buildText();
    const reg = registry();
    if (this.target) reg.views[this.target] = this;
    this.serverPick = null;
    this.rid = null;
    this.cursor = this.cursor !== null && this.cursor < this.M.T ? this.cursor : null;
    if (this.target && reg.last[this.target]) this.fromServer(reg.last[this.target]);
    else this.render();
  }

  buildText() {
    const box = this.q(".tv-text"), M = this.M;
    box.textContent = "";
    this.chars = [];
    for (let t = 0; t < M.T; t++) {
      const ch = M.text[t], s = document.createElement("span");
      s.className = ch === "\n" ? "tv-ch tv-nl" : "tv-ch";
      s.dataset.t = String(t);
      s.textContent = ch === "\n" ? "↵" : ch;
      box.appendChild(s);
      if (ch === "\n") box.appendChild(document.createTextNode("\n"));
      this.chars.push(s);
    }
  }

  /** The server's ranking and chosen unit; a pick the server sends again (an echo of ours) changes nothing. */
  fromServer(d) {
    if (!this.M) return;
    this.ranking = d.ranking || [];
    this.q(".tv-rank-title").textContent = d.ranking_title || "";
    const chips = this.q(".tv-chips");
    chips.textContent = "";
    for (const [state, unit, score] of this.ranking) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "tv-chip";
      b.dataset.pick = state + unit;
      b.textContent = `${state}[${unit}] ${dec(score, 2, true)}`;
      chips.appendChild(b);
    }
    this.span = Array.isArray(d.span) ? d.span : null;
    const fresh = d.rid !== this.rid;
    this.rid = d.rid;
    if (typeof d.pick === "string" && (d.pick !== this.serverPick || fresh) && /^[hc]\d+$/.test(d.pick)) {
      this.serverPick = d.pick;
      this.pick(d.pick[0], +d.pick.slice(1), false);
    } else this.render();
  }

  pick(state, unit, mine) {
    this.state = state === "h" ? "h" : "c";
    this.unit = Math.max(0, Math.min(this.M.H - 1, Math.trunc(unit) || 0));
    this.render();
    if (mine) this.scheduleReport();
  }

  scheduleReport() {
    clearTimeout(this.reportTimer);
    this.reportTimer = setTimeout(() => {
      const p = this.state + this.unit;
      if (p === this.serverPick || !this.api || !this.api.setTriggerValue || !this.target) return;
      this.serverPick = p;
      this.api.setTriggerValue("pick", p);
    }, SETTLE_MS);
  }

  // --- pointer: hover shows, a click or tap pins, a mouse drag or two taps in select mode make a span

  charAt(e) {
    const s = e.target && e.target.closest ? e.target.closest(".tv-ch") : null;
    return s && this.root.contains(s) ? +s.dataset.t : null;
  }

  hover(e) {
    const t = this.charAt(e);
    if (t !== null) this.moveTo(t);
  }

  press(e) {
    const t = this.charAt(e);
    if (t === null) return;
    this.root.focus({ preventScroll: true });
    if (this.selecting) {
      if (this.anchor === null) { this.anchor = t; this.render(); } else this.finishSpan(this.anchor, t);
      return;
    }
    if (e.pointerType === "mouse" && e.button === 0) { this.dragFrom = t; this.dragTo = t; }
    this.pinned = !(e.pointerType === "mouse" && this.pinned && this.cursor === t);
    this.moveTo(t);
    if (!this.pinned) this.hideTip();
  }

  drag(e) {
    if (this.dragFrom === undefined || this.dragFrom === null || !(e.buttons & 1)) return;
    const t = this.charAt(e);
    if (t === null || t === this.dragTo) return;
    e.preventDefault();
    this.dragTo = t;
    this.paintSpan(Math.min(this.dragFrom, t), Math.max(this.dragFrom, t));
  }

  release() {
    const a = this.dragFrom, b = this.dragTo;
    this.dragFrom = this.dragTo = null;
    if (a === undefined || a === null || a === b) return;
    window.getSelection && window.getSelection().removeAllRanges();
    this.finishSpan(a, b);
  }

  finishSpan(a, b) {
    this.selecting = false;
    this.anchor = null;
    this.span = [Math.min(a, b), Math.max(a, b)];
    this.render();
    if (this.api && this.api.setTriggerValue && this.target) this.api.setTriggerValue("span", this.span);
  }

  key(e) {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || !this.M) return;
    const tag = e.target && e.target.tagName;
    if (tag === "INPUT" || (tag === "BUTTON" && (e.key === " " || e.key === "Enter"))) return;
    const k = e.key, last = this.M.T - 1;
    if (k === "ArrowDown" || k === "j") this.pick(this.state, this.unit + 1, true);
    else if (k === "ArrowUp" || k === "k") this.pick(this.state, this.unit - 1, true);
    else if (k === "ArrowRight") { this.pinned = true; this.moveTo(Math.min(last, (this.cursor ?? -1) + 1)); }
    else if (k === "ArrowLeft") { this.pinned = true; this.moveTo(Math.max(0, (this.cursor ?? 1) - 1)); }
    else if (k === "Escape") { this.pinned = false; this.hideTip(); }
    else return;
    e.preventDefault();
    e.stopPropagation();
  }

  moveTo(t) {
    this.cursor = t;
    this.root.dataset.cursor = String(t);
    if (this.mode === "conn") this.paintText();
    this.showTip();
  }

  // --- drawing

  value(t) {
    const M = this.M, k = t * M.H + this.unit;
    return this.state === "h" ? M.h[k] : M.c[k];
  }

  render() {
    const M = this.M, q = this.q;
    if (!M) return;
    Object.assign(this.root.dataset, { unit: String(this.unit), state: this.state, mode: this.mode });
    const input = q(".tv-unit");
    if (input.value === "" || +input.value !== this.unit) input.value = String(this.unit);
    for (const b of this.root.querySelectorAll("[data-state]")) b.setAttribute("aria-pressed", String(b.dataset.state === this.state));
    for (const b of this.root.querySelectorAll("[data-mode]")) b.setAttribute("aria-pressed", String(b.dataset.mode === this.mode));
    for (const b of this.root.querySelectorAll("[data-pick]")) b.setAttribute("aria-pressed", String(b.dataset.pick === this.state + this.unit));
    const sel = q(".tv-select");
    sel.setAttribute("aria-pressed", String(this.selecting));
    sel.textContent = !this.selecting ? "select a span" : this.anchor === null ? "tap the first character" : "tap the last character";
    this.renderLegend();
    this.paintText();
    this.paintSpan(...(this.span || [null, null]));
    if (this.cursor !== null && !this.q(".tv-tip").hidden) this.showTip();
  }

  renderLegend() {
    const M = this.M, q = this.q, conn = this.mode === "conn";
    if (conn) {
      const [lo, hi] = M.conn_range || [0, 0];
      q(".tv-key-title").textContent = M.conn_steps
        ? `||dh_t/dx_s|| for the character t under the cursor, log scale (Viridis); the first ${M.conn_steps} characters only`
        : "No connectivity was computed for this text.";
      q(".tv-key-bar").style.background = bar(M.seq);
      q(".tv-lo").textContent = `10^${lo.toFixed(1)}`;
      q(".tv-mid").textContent = "";
      q(".tv-hi").textContent = `10^${hi.toFixed(1)}`;
      return;
    }
    const S = this.state === "h" ? 1 : M.c_scale[this.unit];
    q(".tv-key-title").textContent = `${this.state}[${this.unit}] after reading each character, diverging (RdBu), 0 = white`;
    q(".tv-key-bar").style.background = bar(M.signed);
    q(".tv-lo").textContent = dec(-S, 1);
    q(".tv-mid").textContent = "0";
    q(".tv-hi").textContent = dec(S, 1, true);
  }

  paintText() {
    const M = this.M;
    if (this.mode === "conn") {
      const t = this.cursor, C = M.conn_steps;
      for (let s = 0; s < M.T; s++) {
        const code = t !== null && t < C && s <= t ? M.conn[t * C + s] : 0;
        paint(this.chars[s], code ? at(M.seq, (code - 1) / 254) : null);
        this.chars[s].classList.toggle("tv-far", t !== null && (t >= C || s > t));
      }
      this.chars.forEach((c, s) => c.classList.toggle("tv-cur", s === t));
      return;
    }
    const S = this.state === "h" ? 1 : M.c_scale[this.unit];
    for (let t = 0; t < M.T; t++) {
      paint(this.chars[t], at(M.signed, (this.value(t) + S) / (2 * S)));
      this.chars[t].classList.remove("tv-far", "tv-cur");
    }
  }

  paintSpan(a, b) {
    const anchor = this.selecting ? this.anchor : null;
    this.chars.forEach((c, t) => {
      c.classList.toggle("tv-in", a !== null && t >= a && t <= b);
      c.classList.toggle("tv-anchor", t === anchor);
    });
  }

  // --- the box under a character: every gate and state of this unit, the five best guesses

  showTip() {
    const M = this.M, t = this.cursor, tip = this.q(".tv-tip");
    if (t === null || !M) return;
    const k = t * M.H + this.unit, name = `${this.state}[${this.unit}]`;
    tip.textContent = "";
    const head = document.createElement("div");
    head.className = "tv-tip-head";
    head.textContent = `character ${t}: ${shown(M.text[t])} · unit ${this.unit} after reading it`;
    tip.appendChild(head);
    const grid = document.createElement("div");
    grid.className = "tv-gates";
    for (const [q, scale] of [["i", 1], ["f", 1], ["g", 0], ["o", 1], ["c", 0], ["h", 0]]) {
      const v = scale ? M[q][k] / 255 : M[q][k], cell = document.createElement("span");
      cell.className = "tv-gate" + (q === this.state ? " tv-now" : "");
      cell.dataset.q = q;
      const S = q === "c" ? M.c_scale[this.unit] : 1;
      paint(cell, scale ? at(M.seq, v) : at(M.signed, (v + S) / (2 * S)));
      cell.textContent = `${q} ${dec(v, 2, !scale)}`;
      grid.appendChild(cell);
    }
    tip.appendChild(grid);
    if (this.mode === "conn") tip.appendChild(this.connLine(t));
    tip.appendChild(this.guesses(t));
    tip.hidden = false;
    tip.setAttribute("aria-label", `${name} at character ${t}`);
    this.place(tip, this.chars[t]);
  }

  connLine(t) {
    const p = document.createElement("div"), M = this.M, C = M.conn_steps;
    p.className = "tv-tip-note";
    if (t >= C) p.textContent = `Connectivity covers the first ${C} characters only.`;
    else {
      let best = 0;
      for (let s = 1; s <= t; s++) if (M.conn[t * C + s] > M.conn[t * C + best]) best = s;
      p.textContent = `h here depends most on input ${best} (${shown(M.text[best])}).`;
    }
    return p;
  }

  guesses(t) {
    const M = this.M, box = document.createElement("div"), next = M.text[t + 1];
    box.className = "tv-guesses";
    const title = document.createElement("div");
    title.className = "tv-tip-note";
    title.textContent = next === undefined ? "The model's five best guesses for what comes after the text:"
      : `The model's five best guesses for the next character (it was ${shown(next)}):`;
    box.appendChild(title);
    const ol = document.createElement("ol");
    for (let j = 0; j < M.k; j++) {
      const ch = M.vocabulary[M.guess_ids[t * M.k + j]], p = M.guess_p[t * M.k + j];
      const li = document.createElement("li");
      li.className = ch === next ? "tv-hit" : "";
      const c = document.createElement("b");
      c.textContent = shown(ch);
      const b = document.createElement("span");
      b.className = "tv-p";
      b.style.width = `${Math.max(1, Math.round(60 * p))}px`;
      li.append(c, b, `${(100 * p).toFixed(p < 0.1 ? 1 : 0)}%`);
      ol.appendChild(li);
    }
    box.appendChild(ol);
    return box;
  }

  /** Under the character when the box fits on the screen there, else over it. */
  place(tip, anchor) {
    const box = this.root.getBoundingClientRect(), r = anchor.getBoundingClientRect();
    const w = Math.min(tip.offsetWidth, box.width), h = tip.offsetHeight;
    tip.style.left = `${Math.max(0, Math.min(box.width - w, r.left - box.left - w / 2 + r.width / 2))}px`;
    const below = r.bottom + 6 + h <= window.innerHeight || r.top - 6 - h < 0;
    tip.style.top = `${(below ? r.bottom + 6 : r.top - 6 - h) - box.top}px`;
  }

  hideTip() { this.q(".tv-tip").hidden = true; }

  destroy() {
    clearTimeout(this.reportTimer);
    const reg = registry();
    if (this.target && reg.views[this.target] === this) delete reg.views[this.target];
  }
}

const VIEWS = new WeakMap();     // the element Streamlit mounts into -> its View

/** Streamlit calls this on mount and whenever data changes, with the same parentElement: one View per element. */
export default function mount(component) {
  const host = component.parentElement, known = VIEWS.get(host);
  const view = known && known.root.isConnected ? known : new View(host, component);
  VIEWS.set(host, view);
  view.setData(component.data, component);
  return () => { view.destroy(); view.root.remove(); VIEWS.delete(host); };
}
