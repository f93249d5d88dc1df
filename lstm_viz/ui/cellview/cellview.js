// lstm-viz cell view: one layer's whole trace arrives once; every step is drawn here, in the browser.
//
// Vanilla JS + SVG, no build step. Streamlit mounts it as an st.components.v2 module (the default export
// below); lstm_viz/ui/cellview/__init__.py inlines the same file into the offline .html and calls mount().
// The payload (lstm_viz/figures/cellview.py) holds every number: this file formats and colours them and
// computes nothing else, except the two products the reading sentence names (f * c_{t-1}, i * g, and the
// GRU's z * h_{t-1}, (1 - z) * n, r * hn), and the checks that choose how many decimals the equations need.
// Everything user-supplied (input labels, the model's title) is written with textContent, never as HTML.

const REGISTRY = "__lstmVizCellView";   // window[REGISTRY]: views by target, the server's last step/unit, timings

function registry() {
  if (!window[REGISTRY]) window[REGISTRY] = { views: {}, last: {}, timings: [], loads: 0 };
  return window[REGISTRY];
}

// ---------------------------------------------------------------------------------------------
// numbers, formatted exactly as Python formats them (round half to even on the exact binary value),
// so the sentence here reads letter for letter like lstm_viz.words.step_sentence

function incDigits(s) {
  const a = s.split("");
  for (let i = a.length - 1; i >= 0; i--) {
    if (a[i] === "9") { a[i] = "0"; continue; }
    a[i] = String.fromCharCode(a[i].charCodeAt(0) + 1);
    return a.join("");
  }
  return "1" + a.join("");
}

function roundsUp(keep, rest) {
  const c = rest.charCodeAt(0) - 48;
  if (!(c >= 0)) return false;
  if (c !== 5) return c > 5;
  if (/[1-9]/.test(rest.slice(1))) return true;
  return (keep.charCodeAt(keep.length - 1) - 48) % 2 === 1;      // an exact tie goes to the even digit
}

function fixedAbs(a, d) {
  if (a >= 1e21) return String(a);
  const s = a.toFixed(Math.min(100, d + 25));                      // exact decimal expansion, 25 spare digits
  const dot = s.indexOf(".");
  let keep = s.slice(0, dot) + s.slice(dot + 1, dot + 1 + d);
  if (roundsUp(keep, s.slice(dot + 1 + d))) keep = incDigits(keep);
  const n = keep.length - d;
  return d ? keep.slice(0, n) + "." + keep.slice(n) : keep;
}

function sign(x, plus) {
  return x < 0 || Object.is(x, -0) ? "-" : plus ? "+" : "";
}

/** Python's f"{x:.{d}f}" (plus: f"{x:+.{d}f}"). */
function fixed(x, d, plus = false) {
  return sign(x, plus) + fixedAbs(Math.abs(x), d);
}

/** Python's f"{x:+.{d}e}". */
function expo(x, d, plus = false) {
  const s = Math.abs(x).toExponential(Math.min(100, d + 25));
  const [m, e] = s.split("e");
  let ex = parseInt(e, 10);
  const digits = m.replace(".", "");
  let keep = digits.slice(0, d + 1);
  if (roundsUp(keep, digits.slice(d + 1))) keep = incDigits(keep);
  if (keep.length > d + 1) { keep = keep.slice(0, d + 1); ex += 1; }
  const mant = d ? keep[0] + "." + keep.slice(1) : keep;
  return sign(x, plus) + mant + "e" + (ex < 0 ? "-" : "+") + String(Math.abs(ex)).padStart(2, "0");
}

const pct = (v) => fixed(100 * v, 0) + "%";                                           // words.percent
const num = (v) => (Math.abs(v) >= 0.005 || v === 0 ? fixed(v, 2, true) : expo(v, 1, true));  // words.signed
const two = (v, signed) => fixed(v, 2, signed);                                       // numbers on the diagram

// ---------------------------------------------------------------------------------------------
// colour: the figures' scales (plotly's Viridis for gates in [0, 1], RdBu reversed for signed values)

const VIRIDIS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58",
  "#b5de2b", "#fde725"].map((h) => [1, 3, 5].map((k) => parseInt(h.slice(k, k + 2), 16)));
const RDBU_R = [[5, 48, 97], [33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240], [247, 247, 247],
  [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43], [103, 0, 31]];

function sample(stops, t) {
  const p = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const k = Math.min(stops.length - 2, Math.floor(p));
  const w = p - k;
  return stops[k].map((c, j) => Math.round(c + (stops[k + 1][j] - c) * w));
}

/** {fill, ink}: the colour of value v on a scale ('gate' 0..1, 'signed' -S..S) and readable text on it. */
function colour(v, scale, S) {
  if (v === null || v === undefined || scale === "none") return null;
  const rgb = scale === "gate" ? sample(VIRIDIS, v) : sample(RDBU_R, (v + S) / (2 * S));
  const light = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] > 140;
  return { fill: `rgb(${rgb.join(",")})`, ink: light ? "#111111" : "#ffffff" };
}

function gradient(stops) {
  return `linear-gradient(to right, ${stops.map((c) => `rgb(${c.join(",")})`).join(", ")})`;
}

// ---------------------------------------------------------------------------------------------
// the payload (lstm_viz/figures/cellview.py). In the offline file, arrays are base64 of little-endian float32,
// (T, H) row-major. In the app the same payload arrives as one binary frame, a quarter smaller
// (lstm_viz/ui/cellview/__init__.py, frame()): "LVC1", the header's length (uint32), the header JSON with
// each array as {"f32": [offset, count]}, zero padding to 4 bytes, then every float32 number.

function unpack(data) {
  if (!(data instanceof Uint8Array || data instanceof ArrayBuffer)) return [data, null];
  const u8 = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (String.fromCharCode(u8[0], u8[1], u8[2], u8[3]) !== "LVC1") throw new Error("lstm-viz: not a cell view frame");
  const n = new DataView(u8.buffer, u8.byteOffset, 8).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(u8.subarray(8, 8 + n)));
  const body = u8.slice(8 + n + ((4 - ((8 + n) % 4)) % 4));      // a copy, aligned for Float32Array
  return [header, new Float32Array(body.buffer, 0, body.byteLength >> 2)];
}

function floats(ref, body) {
  if (!ref) return null;
  if (typeof ref !== "string") return body.subarray(ref.f32[0], ref.f32[0] + ref.f32[1]);
  const bin = atob(ref);
  const bytes = new Uint8Array(bin.length);
  for (let k = 0; k < bin.length; k++) bytes[k] = bin.charCodeAt(k);
  return new Float32Array(bytes.buffer);              // little-endian, as every browser's platform is
}

function sameBytes(a, b) {
  if (a === b) return true;
  if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

function model(data) {
  const [d, body] = unpack(data);
  const M = { kind: d.kind, T: d.T, H: d.H, S: d.signed_range, labels: d.labels, rows: d.rows, layer: d.layer,
    layers: d.layers, title: d.title || "", target: d.target || null, compact: !!d.compact, f: {}, pre: {},
    variant: d.variant || "lstm", nonlinearity: d.nonlinearity || "tanh" };
  for (const [q, b] of Object.entries(d.fields)) M.f[q] = floats(b, body);
  for (const [q, b] of Object.entries(d.pre)) M.pre[q] = floats(b, body);
  M.h0 = floats(d.h0, body);
  M.c0 = floats(d.c0, body);
  M.x = floats(d.x, body);
  M.start = d.start || null;
  return M;
}

/** Every number of step t, unit u, by name. */
function values(M, t, u) {
  const H = M.H, k = t * H + u, v = {};
  for (const q in M.f) v[q] = M.f[q][k];
  for (const q in M.pre) v["a_" + q] = M.pre[q][k];
  v.h_prev = t ? M.f.h[k - H] : M.h0[u];
  v.x = M.x ? M.x[t] : null;
  if (M.kind === "lstm") {
    v.c_prev = t ? M.f.c[k - H] : M.c0[u];
    v.fc = v.f * v.c_prev;
    v.ig = v.i * v.g;
  } else if (M.kind === "gru") {
    v.zh = v.z * v.h_prev;
    v.one_z = 1 - v.z;
    v.zn = (1 - v.z) * v.n;
    v.rhn = v.r * v.hn;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// words (words.py's names; the article's box numbers)

const WORDS = { i: "input gate", f: "forget gate", g: "candidate", o: "output gate", c: "cell state",
  h: "hidden state", tanh_c: "tanh of the cell state", r: "reset gate", z: "update gate", n: "candidate" };
const BOX = { f: 1, i: 2, g: 3, o: 4, tanh_c: 5 };
const GATES = new Set(["i", "f", "o", "r", "z"]);
const CIRCLED = ["", "①", "②", "③", "④", "⑤"];

/** words.step_sentence, word for word. */
function reading(M, t, u) {
  const v = values(M, t, u);
  const x = ` (input ${M.labels[t]})`;
  if (M.kind === "lstm") {
    const read = M.variant === "noaf" ? "c" : "tanh(c)";       // no output activation: h = o c
    return `At step ${t}${x}, the forget gate kept ${pct(v.f)} of unit ${u}'s memory (${num(v.c_prev)} → ` +
      `${num(v.fc)}), the input gate wrote ${num(v.ig)} into it (${pct(v.i)} of the candidate ` +
      `${num(v.g)}), so the cell state is ${num(v.c)}, and the output gate let ${pct(v.o)} of ` +
      `${read} = ${num(v.tanh_c)} out as h = ${num(v.h)}.`;
  }
  if (M.kind === "gru") {
    return `At step ${t}${x}, the update gate kept ${pct(v.z)} of unit ${u}'s previous state ${num(v.h_prev)} ` +
      `and took ${pct(1 - v.z)} of the candidate ${num(v.n)}, so h = ${num(v.h)}.`;
  }
  return `At step ${t}${x}, unit ${u} squashed its weighted input and previous state ${num(v.h_prev)} through ` +
    `${M.nonlinearity === "relu" ? "relu" : "tanh"}, so h = ${num(v.h)}.`;
}

// ---------------------------------------------------------------------------------------------
// the equations with this step's numbers, each line written so that a student can redo it on paper with
// the numbers it prints: its result to po decimals (3 when that works) and the numbers it is computed from
// to pi >= po decimals, the fewest with which sigma/tanh of the printed argument, or the printed products
// (exact decimal arithmetic), round to the printed result. Lines are checked one by one, so a number that
// feeds a later line may be printed there with more decimals than where it was the result.

const sigmoid = (z) => 0.5 + 0.5 * Math.tanh(0.5 * z);

function scaled(s) { return BigInt(s.replace(".", "").replace("+", "")); }
const places = (s) => s.length - s.indexOf(".") - 1;

function fnChecks(f, arg, out) {              // f(printed arg) rounds to the printed result
  const p = places(out);
  return Math.abs(f(parseFloat(arg)) * 10 ** p - Number(scaled(out))) < 0.5 - 1e-6;
}

function sumChecks(terms, out) {              // sum of products of printed factors rounds to the printed result
  let s = 0n, p = 0;
  for (const [a, b] of terms) { s += scaled(a) * scaled(b); p = places(a) + places(b); }
  const d = s * 10n ** BigInt(places(out)) - scaled(out) * 10n ** BigInt(p);
  return 2n * (d < 0n ? -d : d) < 10n ** BigInt(p);
}

const SUB = (s) => `<sub>${s}</sub>`;
const HX = `[h${SUB("t−1")}, x${SUB("t")}]`;
const par = (s) => (s.startsWith("-") ? `(${s})` : s);

/** One line: sym is the equation in letters; make(po, pi) gives [printed numbers, checks out]. */
function line(n, sym, make) {
  for (let po = 3; po <= 6; po++) {
    for (let pi = po; pi <= Math.min(po + 4, 8); pi++) {
      const [num, ok] = make(po, pi);
      if (ok) return { n, sym, num, ok };
    }
  }
  return { n, sym, num: make(7, 8)[0], ok: false };
}

const relu = (z) => Math.max(0, z);
const ACT_NAME = new Map([[sigmoid, "σ"], [Math.tanh, "tanh"], [relu, "max(0, ·)"]]);
// the variants of Greff et al. (2017) that change a line of the LSTM (cells.LSTM_VARIANTS)
const PEEP = { i: ` + p${SUB("i")} c${SUB("t−1")}`, f: ` + p${SUB("f")} c${SUB("t−1")}`, o: ` + p${SUB("o")} c${SUB("t")}` };
const REMOVED = { nig: "i", nfg: "f", nog: "o" };

function gateLine(n, q, act, v, extra = "") {
  const name = ACT_NAME.get(act);
  const call = (x) => (name === "max(0, ·)" ? `max(0, ${x})` : `${name}(${x})`);
  return line(n, `${q}${SUB("t")} = ${call(`W${SUB(q)}${HX} + b${SUB(q)}${extra}`)}`, (po, pi) => {
    const arg = fixed(v["a_" + q], pi), out = fixed(v[q], po);
    return [`${call(arg)} = ${out}`, fnChecks(act, arg, out)];
  });
}

function lstmGate(n, q, act, v, variant) {
  if (REMOVED[variant] === q) {        // the variant has no such gate: it is 1 at every step
    return { n, sym: `${q}${SUB("t")} = 1 (no ${WORDS[q]} in this variant)`, num: fixed(v[q], 3), ok: true };
  }
  if (variant === "cifg" && q === "f") {   // coupled: the forget gate is what the input gate leaves
    return line(n, `f${SUB("t")} = 1 − i${SUB("t")}`, (po, pi) => {
      const i = fixed(v.i, pi), out = fixed(v.f, po);
      return [`1 − ${i} = ${out}`, sumChecks([[fixed(1 - parseFloat(i), pi), "1.0"]], out)];   // 1 − i exactly
    });
  }
  if (variant === "niaf" && q === "g") {   // no input activation: the candidate is its pre-activation
    return line(n, `g${SUB("t")} = W${SUB("g")}${HX} + b${SUB("g")}`, (po) => [fixed(v.g, po), true]);
  }
  return gateLine(n, q, act, v, variant === "peephole" ? (PEEP[q] || "") : "");
}

function lstmLines(v, M) {
  const variant = M.variant || "lstm";
  const c = line("", `c${SUB("t")} = f${SUB("t")} c${SUB("t−1")} + i${SUB("t")} g${SUB("t")}`, (po, pi) => {
    const [f, cp, i, g] = [v.f, v.c_prev, v.i, v.g].map((x) => fixed(x, pi)), out = fixed(v.c, po);
    return [`${f} × ${par(cp)} + ${i} × ${par(g)} = ${out}`, sumChecks([[f, cp], [i, g]], out)];
  });
  const h = variant === "noaf"            // no output activation: h = o c, the memory unsquashed
    ? line(5, `h${SUB("t")} = o${SUB("t")} c${SUB("t")}`, (po, pi) => {
      const [o, cc] = [v.o, v.c].map((x) => fixed(x, pi)), out = fixed(v.h, po);
      return [`${o} × ${par(cc)} = ${out}`, sumChecks([[o, cc]], out)];
    })
    : line(5, `h${SUB("t")} = o${SUB("t")} tanh(c${SUB("t")})`, (po, pi) => {
      const [o, cc, tc] = [v.o, v.c, v.tanh_c].map((x) => fixed(x, pi)), out = fixed(v.h, po);
      return [`${o} × tanh(${cc}) = ${o} × ${par(tc)} = ${out}`, fnChecks(Math.tanh, cc, tc) && sumChecks([[o, tc]], out)];
    });
  return [lstmGate(1, "f", sigmoid, v, variant), lstmGate(2, "i", sigmoid, v, variant),
    lstmGate(3, "g", Math.tanh, v, variant), c, lstmGate(4, "o", sigmoid, v, variant), h];
}

function gruLines(v) {
  const n = line("", `n${SUB("t")} = tanh(W${SUB("in")} x${SUB("t")} + b${SUB("in")} + r${SUB("t")} (W${SUB("hn")} h${SUB("t−1")} + b${SUB("hn")}))`,
    (po, pi) => {
      const arg = fixed(v.a_n, pi), out = fixed(v.n, po);
      return [`tanh(${arg}) = ${out}`, fnChecks(Math.tanh, arg, out)];
    });
  const h = line("", `h${SUB("t")} = (1 − z${SUB("t")}) n${SUB("t")} + z${SUB("t")} h${SUB("t−1")}`, (po, pi) => {
    const [z, nn, hp] = [v.z, v.n, v.h_prev].map((x) => fixed(x, pi)), out = fixed(v.h, po);
    const oneZ = fixed(1 - parseFloat(z), pi);          // exact: 1 minus a pi-decimal number
    return [`(1 − ${z}) × ${par(nn)} + ${z} × ${par(hp)} = ${out}`, sumChecks([[oneZ, nn], [z, hp]], out)];
  });
  return [gateLine("", "r", sigmoid, v), gateLine("", "z", sigmoid, v), n, h];
}

function rnnLines(v, M) {
  const relu_ = M.nonlinearity === "relu";
  const call = (x) => (relu_ ? `max(0, ${x})` : `tanh(${x})`);
  return [line("", `h${SUB("t")} = ${call(`W${SUB("ih")} x${SUB("t")} + b${SUB("ih")} + W${SUB("hh")} h${SUB("t−1")} + b${SUB("hh")}`)}`,
    (po, pi) => {
      const arg = fixed(v.a_h, pi), out = fixed(v.h, po);
      return [`${call(arg)} = ${out}`, fnChecks(relu_ ? relu : Math.tanh, arg, out)];
    })];
}

/** The equation lines of step t, unit u: [{n (box number or ""), sym (HTML), num (numbers), ok}]. */
function equations(M, t, u) {
  const v = values(M, t, u);
  return { lstm: lstmLines, gru: gruLines, rnn: rnnLines }[M.kind](v, M);
}

// ---------------------------------------------------------------------------------------------
// the diagrams, in Olah's notation and the article's numbering; coordinates in SVG units (the drawing
// scales with its column, so 12-unit text is about 12 px on a phone and 20 px or more on a projector).
// line: [id, value, scale, polylines, tip]; box: [id, x, y, symbol, value, scale, tip]; op: [id, x, y, symbol];
// label: [x, y, anchor, name parts [text, sub], value or null, signed]

const R = 11;           // radius of a pointwise operation
const BW = 46, BH = 42; // layer box: room for the symbol over the value, whatever the font

function lstmDiagram() {
  const TOP = 64, MID = 124, GATE = 190, BOT = 258, XIN = 48;
  return {
    w: 360, h: 322,
    captions: [[180, 20, "long-term memory · cell state c"], [190, BOT + 19, "short-term memory · hidden state h"]],
    bus: [[[XIN, BOT], [246, BOT]], ...[78, 134, 190, 246].map((x) => [[x, BOT], [x, GATE + BH / 2]])],
    lines: [
      ["c_prev", "c_prev", "signed", [[[0, TOP], [78 - R, TOP]]], "c_{t−1}: the long-term memory arriving from the last step"],
      ["fc", "fc", "signed", [[[78 + R, TOP], [190 - R, TOP]]], "f · c_{t−1}: the part of the memory the forget gate kept"],
      ["c", "c", "signed", [[[190 + R, TOP], [360, TOP]], [[302, TOP], [302, MID - BH / 2]]], "c_t: the new long-term memory (cell state)"],
      ["f", "f", "gate", [[[78, GATE - BH / 2], [78, TOP + R]]], "f: the forget gate's share, 0 forgets, 1 keeps"],
      ["i", "i", "gate", [[[134, GATE - BH / 2], [134, MID], [190 - R, MID]]], "i: the input gate's share of the candidate to write"],
      ["g", "g", "signed", [[[190, GATE - BH / 2], [190, MID + R]]], "g: the candidate memory"],
      ["ig", "ig", "signed", [[[190, MID - R], [190, TOP + R]]], "i · g: what is written into the memory"],
      ["o", "o", "gate", [[[246 + BW / 2, GATE], [302 - R, GATE]]], "o: the output gate's share"],
      ["tanh_c", "tanh_c", "signed", [[[302, MID + BH / 2], [302, GATE - R]]], "tanh(c_t): the memory squashed into (−1, 1)"],
      ["h", "h", "signed", [[[302, GATE + R], [302, BOT], [360, BOT]]], "h_t: the new short-term memory (hidden state), the cell's output"],
      ["h_prev", "h_prev", "signed", [[[0, BOT], [XIN, BOT]]], "h_{t−1}: the short-term memory from the last step"],
      ["x", "x", "signed", [[[XIN, 300], [XIN, BOT]]], "x_t: this step's input"],
    ],
    boxes: [
      ["f", 78, GATE, "σ", "f", "gate", "forget gate f = σ(W_f[h_{t−1}, x_t] + b_f)"],
      ["i", 134, GATE, "σ", "i", "gate", "input gate i = σ(W_i[h_{t−1}, x_t] + b_i)"],
      ["g", 190, GATE, "tanh", "g", "signed", "candidate g = tanh(W_g[h_{t−1}, x_t] + b_g)"],
      ["o", 246, GATE, "σ", "o", "gate", "output gate o = σ(W_o[h_{t−1}, x_t] + b_o)"],
      ["tanh_c", 302, MID, "tanh", "tanh_c", "signed", "tanh of the cell state, tanh(c_t)"],
    ],
    ops: [["fx", 78, TOP, "×", "fc"], ["plus", 190, TOP, "+", "c"], ["ix", 190, MID, "×", "ig"], ["hx", 302, GATE, "×", "h"]],
    labels: [
      [4, TOP - 12, "start", [["c"], ["t−1", 1]], null],
      [4, TOP + 19, "start", [], "c_prev"],
      [134, TOP - 8, "middle", [], "fc"],
      [197, 98, "start", [], "ig"],
      [356, TOP - 12, "end", [["c"], ["t", 1]], null],
      [356, TOP + 19, "end", [], "c"],
      [4, BOT - 12, "start", [["h"], ["t−1", 1]], null],
      [4, BOT + 19, "start", [], "h_prev"],
      [356, BOT - 12, "end", [["h"], ["t", 1]], null],
      [356, BOT + 19, "end", [], "h"],
      [XIN + 6, 306, "start", [["x"], ["t", 1], [" ="]], "x_label"],
    ],
  };
}

function gruDiagram() {
  const TOP = 64, MID = 112, GATE = 196, BOT = 262, XIN = 44, DOWN = 22;
  return {
    w: 360, h: 322,
    captions: [[180, 20, "the GRU's only memory · hidden state h"]],
    bus: [[[DOWN, BOT], [280, BOT]], ...[100, 160, 280].map((x) => [[x, BOT], [x, GATE + BH / 2]]), [[215, BOT], [215, GATE + R]]],
    lines: [
      ["h_prev", "h_prev", "signed", [[[0, TOP], [100 - R, TOP]], [[DOWN, TOP], [DOWN, BOT]]], "h_{t−1}: the memory from the last step"],
      ["zh", "zh", "signed", [[[100 + R, TOP], [280 - R, TOP]]], "z · h_{t−1}: the part of the old state the update gate kept"],
      ["h", "h", "signed", [[[280 + R, TOP], [360, TOP]]], "h_t = (1 − z) n + z h_{t−1}: the new state, the cell's output"],
      ["z", "z", "gate", [[[100, GATE - BH / 2], [100, TOP + R]], [[100, MID], [220 - 12, MID]]], "z: the update gate, 1 keeps the old state"],
      ["one_z", "one_z", "gate", [[[220 + 12, MID], [280 - R, MID]]], "1 − z: the share of the candidate taken"],
      ["n", "n", "signed", [[[280, GATE - BH / 2], [280, MID + R]]], "n: the candidate state"],
      ["zn", "zn", "signed", [[[280, MID - R], [280, TOP + R]]], "(1 − z) · n: the new part of the state"],
      ["r", "r", "gate", [[[160, GATE - BH / 2], [160, 152], [215, 152], [215, GATE - R]]], "r: the reset gate, how much of the old state the candidate sees"],
      ["rhn", "rhn", "signed", [[[215 + R, GATE], [280 - BW / 2, GATE]]], "r · (W_hn h_{t−1} + b_hn): the old state's part in the candidate"],
      ["x", "x", "signed", [[[XIN, 300], [XIN, BOT]]], "x_t: this step's input"],
    ],
    boxes: [
      ["z", 100, GATE, "σ", "z", "gate", "update gate z = σ(W_z[h_{t−1}, x_t] + b_z)"],
      ["r", 160, GATE, "σ", "r", "gate", "reset gate r = σ(W_r[h_{t−1}, x_t] + b_r)"],
      ["n", 280, GATE, "tanh", "n", "signed", "candidate n = tanh(W_in x_t + b_in + r (W_hn h_{t−1} + b_hn))"],
    ],
    ops: [["zx", 100, TOP, "×", "zh"], ["plus", 280, TOP, "+", "h"], ["onez", 220, MID, "1−", "one_z", 12],
      ["nx", 280, MID, "×", "zn"], ["rx", 215, GATE, "×", "rhn"]],
    labels: [
      [4, TOP - 12, "start", [["h"], ["t−1", 1]], null],
      [30, TOP + 19, "start", [], "h_prev"],
      [190, TOP - 8, "middle", [], "zh"],
      [250, MID - 8, "middle", [], "one_z"],
      [287, 92, "start", [], "zn"],
      [236, GATE - 12, "middle", [], "rhn"],
      [356, TOP - 12, "end", [["h"], ["t", 1]], "h"],
      [XIN + 6, 306, "start", [["x"], ["t", 1], [" ="]], "x_label"],
    ],
  };
}

function rnnDiagram() {
  const Y = 104, XIN = 110, BX = 220;
  return {
    w: 360, h: 196,
    captions: [[180, 22, "the RNN's only memory · hidden state h"]],
    bus: [[[XIN, Y], [BX - 30, Y]]],
    lines: [
      ["h_prev", "h_prev", "signed", [[[0, Y], [XIN, Y]]], "h_{t−1}: the memory from the last step"],
      ["x", "x", "signed", [[[XIN, 170], [XIN, Y]]], "x_t: this step's input"],
      ["h", "h", "signed", [[[BX + 30, Y], [360, Y]]], "h_t: the new state, the cell's output"],
    ],
    boxes: [["h", BX, Y, "tanh", "h", "signed", "h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)", 60, 46]],
    ops: [],
    labels: [
      [4, Y - 12, "start", [["h"], ["t−1", 1]], null],
      [4, Y + 19, "start", [], "h_prev"],
      [BX, Y - 32, "middle", [["a = "]], "a_h"],
      [356, Y - 12, "end", [["h"], ["t", 1]], null],
      [356, Y + 19, "end", [], "h"],
      [XIN + 6, 178, "start", [["x"], ["t", 1], [" ="]], "x_label"],
    ],
  };
}

const DIAGRAMS = { lstm: lstmDiagram, gru: gruDiagram, rnn: rnnDiagram };
const SIGNED_VALUES = new Set(["c_prev", "fc", "c", "g", "ig", "tanh_c", "h", "h_prev", "x", "zh", "n", "zn", "rhn", "a_h"]);

// ---------------------------------------------------------------------------------------------
// building the DOM once; render(t, u) only sets attributes and text

function el(tag, attrs = {}, parent = null, text = null) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== null) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

function svg(ns, tag, attrs = {}, parent = null, text = null) {
  const e = document.createElementNS(ns, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== null) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

const pts = (line) => line.map((p) => p.join(",")).join(" ");

/** Our own notation into el: x_t and W_{ih} become subscripts. Only for the app's fixed words, never for input. */
function notation(el, text) {
  const re = /_(\{[^}]*\}|[a-z0-9])/g;
  let at = 0;
  for (const m of text.matchAll(re)) {
    el.append(text.slice(at, m.index));
    el.append(Object.assign(document.createElement("sub"), { textContent: m[1].replace(/[{}]/g, "") }));
    at = m.index + m[0].length;
  }
  el.append(text.slice(at));
}

function buildDiagram(holder, M) {
  holder.innerHTML = '<svg class="cv-svg" role="img"></svg>';   // parsed as SVG: no namespace literal needed
  const root = holder.firstChild, NS = root.namespaceURI;
  const D = DIAGRAMS[M.kind]();
  root.setAttribute("viewBox", `0 0 ${D.w} ${D.h}`);
  root.setAttribute("aria-label", `${M.kind.toUpperCase()} cell diagram`);
  const parts = { lines: {}, boxes: {}, ops: {}, labels: [] };
  for (const [x, y, text] of D.captions) svg(NS, "text", { x, y, "text-anchor": "middle", class: "cv-caption" }, root, text);
  const bus = svg(NS, "g", { class: "cv-bus", "data-tip": "bus" }, root);
  for (const line of D.bus) svg(NS, "polyline", { points: pts(line) }, bus);
  for (const [id, q, scale, polys, tip] of D.lines) {
    const g = svg(NS, "g", { class: "cv-line", "data-tip": "line:" + id }, root);
    const strokes = [];
    for (const line of polys) {
      svg(NS, "polyline", { points: pts(line), class: "cv-hit" }, g);      // a finger-wide, invisible target
      svg(NS, "polyline", { points: pts(line), class: "cv-casing" }, g);
      strokes.push(svg(NS, "polyline", { points: pts(line), class: "cv-stroke" }, g));
    }
    parts.lines[id] = { g, strokes, q, scale, tip };
  }
  for (const [id, x, y, sym, q, scale, tip, w = BW, h = BH] of D.boxes) {
    const g = svg(NS, "g", { class: "cv-box", "data-tip": "box:" + id, "data-q": q }, root);
    const rect = svg(NS, "rect", { x: x - w / 2, y: y - h / 2, width: w, height: h, rx: 4 }, g);
    const symT = svg(NS, "text", { x, y: y - 6, "text-anchor": "middle", class: "cv-sym" }, g, sym);
    const valT = svg(NS, "text", { x, y: y + 14, "text-anchor": "middle", class: "cv-val" }, g);
    if (BOX[id] && M.kind === "lstm") {
      svg(NS, "circle", { cx: x - w / 2, cy: y - h / 2, r: 8.5, class: "cv-badge" }, g);
      svg(NS, "text", { x: x - w / 2, y: y - h / 2 + 4, "text-anchor": "middle", class: "cv-badge-text" }, g, String(BOX[id]));
    }
    parts.boxes[id] = { g, rect, symT, valT, q, scale, tip };
  }
  for (const [id, x, y, sym, q, r = R] of D.ops) {
    const g = svg(NS, "g", { class: "cv-op", "data-tip": "op:" + id }, root);
    const circle = svg(NS, "circle", { cx: x, cy: y, r }, g);
    const t = svg(NS, "text", { x, y: y + 4.5, "text-anchor": "middle", class: "cv-op-text" }, g, sym);
    parts.ops[id] = { g, circle, t, q };
  }
  for (const [x, y, anchor, name, q] of D.labels) {
    const t = svg(NS, "text", { x, y, "text-anchor": anchor, class: "cv-label", "data-q": q || "" }, root);
    if (q) t.setAttribute("data-tip", "label:" + q);
    for (const [s, sub] of name) svg(NS, "tspan", sub ? { class: "cv-sub", "baseline-shift": "sub" } : {}, t, s);
    const val = q ? svg(NS, "tspan", { class: "cv-num" }, t) : null;
    if (q && name.length) val.setAttribute("dx", "4");
    parts.labels.push({ t, val, q });
  }
  return parts;
}

function paintDiagram(parts, M, v, t) {
  const S = M.S;
  for (const L of Object.values(parts.lines)) {
    const val = L.q === "x" ? v.x : v[L.q];
    const c = colour(val, L.q === "x" && val === null ? "none" : L.scale, S);
    for (const s of L.strokes) s.style.stroke = c ? c.fill : "";
    L.g.classList.toggle("cv-neutral", !c);
  }
  for (const B of Object.values(parts.boxes)) {
    const c = colour(v[B.q], B.scale, S);
    B.rect.style.fill = c.fill;
    B.symT.style.fill = B.valT.style.fill = c.ink;
    B.valT.textContent = two(v[B.q], B.scale !== "gate");
  }
  for (const L of parts.labels) {
    if (!L.val) continue;
    if (L.q === "x_label") L.val.textContent = shorten(M.labels[t], 14);
    else L.val.textContent = two(v[L.q], SIGNED_VALUES.has(L.q));
  }
}

function shorten(s, n) {
  const a = Array.from(s);
  return a.length <= n ? s : a.slice(0, n - 1).join("") + "…";
}

// ---------------------------------------------------------------------------------------------
// the view

const SPEEDS = [1, 2, 4, 8, 16, 32];     // steps per second

const HTML = `
<div class="cv-head">
  <div class="cv-title"><span class="cv-kind"></span> <span class="cv-where"></span></div>
  <div class="cv-now"><span class="cv-stepword">step <b class="cv-step">0</b> of <span class="cv-T"></span></span>
    <span class="cv-input"></span> <span class="cv-sync" hidden></span></div>
</div>
<div class="cv-controls">
  <div class="cv-buttons">
    <button type="button" class="cv-first" aria-label="First step (Home)" title="First step (Home)">⇤</button>
    <button type="button" class="cv-prev" aria-label="Previous step (←)" title="Previous step (←)">←</button>
    <button type="button" class="cv-play" aria-label="Play (space)" title="Play / pause (space)">▶</button>
    <button type="button" class="cv-next" aria-label="Next step (→)" title="Next step (→)">→</button>
    <button type="button" class="cv-last" aria-label="Last step (End)" title="Last step (End)">⇥</button>
  </div>
  <input type="range" class="cv-scrub" min="0" max="0" step="1" value="0" aria-label="Step">
  <div class="cv-options">
    <label class="cv-speed-label">speed <select class="cv-speed" aria-label="Steps per second"></select></label>
    <label class="cv-large-label"><input type="checkbox" class="cv-large-box"> large text</label>
  </div>
</div>
<div class="cv-main">
  <div class="cv-figure">
    <div class="cv-diagram"></div>
    <div class="cv-legend">
      <div class="cv-key cv-key-gates"><span class="cv-key-title">gate, sequential (Viridis)</span>
        <span class="cv-key-bar cv-key-gate"></span><span class="cv-key-ends"><span>0</span><span>1</span></span></div>
      <div class="cv-key"><span class="cv-key-title">signed value, diverging (RdBu), 0 = white</span>
        <span class="cv-key-bar cv-key-signed"></span><span class="cv-key-ends"><span class="cv-lo"></span><span>0</span><span class="cv-hi"></span></span></div>
    </div>
    <p class="cv-boxes"></p>
  </div>
  <div class="cv-side">
    <p class="cv-reading" aria-live="polite"></p>
    <div class="cv-eq-head">Step <span class="cv-step2"></span>, unit <span class="cv-unit2"></span>: the equations with
      this step's numbers</div>
    <div class="cv-eqs"></div>
    <p class="cv-eq-note">Inside σ(…) and tanh(…): the pre-activation, what the gate read. Each line can be
      redone on paper: its result is rounded to 3 decimals (more near a rounding boundary), and the numbers it
      comes from carry as many decimals as that takes.</p>
  </div>
</div>
<div class="cv-strip">
  <div class="cv-strip-head">Every unit at step <span class="cv-step3"></span> <span class="cv-hint">(click a column to
    follow that unit)</span></div>
  <div class="cv-tablewrap"><table class="cv-table"><thead></thead><tbody></tbody></table></div>
</div>
<div class="cv-foot"></div>
<div class="cv-tip" role="tooltip" hidden></div>`;

const BOX_WORDS = { lstm: "① forget gate · ② input gate · ③ candidate · ④ output gate · ⑤ tanh of the cell state",
  gru: "r reset gate · z update gate · n candidate · 1− and × mix the old state and the candidate",
  rnn: "one tanh of the weighted input and the previous state" };

class View {
  constructor(host, api) {
    this.api = api;
    this.root = el("div", { class: "cv", tabindex: "0" });
    this.root.innerHTML = HTML;
    host.appendChild(this.root);
    this.q = (s) => this.root.querySelector(s);
    this.step = 0; this.unit = 0; this.playing = false; this.speed = 4;
    this.serverStep = null; this.serverUnit = null;
    this.timer = null; this.reportTimer = null;
    this.onGlobalKey = (e) => this.globalKey(e);
    const input = this.q(".cv-input");
    input.append("· input x");
    this.inputT = el("sub", {}, input);
    input.append(" = ");
    this.inputV = el("span", { class: "cv-x" }, input);
    this.wire();
    document.addEventListener("keydown", this.onGlobalKey);
  }

  wire() {
    const q = this.q;
    q(".cv-first").onclick = () => this.go(0, "button");
    q(".cv-prev").onclick = () => this.go(this.step - 1, "button");
    q(".cv-next").onclick = () => this.go(this.step + 1, "button");
    q(".cv-last").onclick = () => this.go(this.M.T - 1, "button");
    q(".cv-play").onclick = () => this.toggle();
    const scrub = q(".cv-scrub");
    scrub.addEventListener("input", () => this.go(parseInt(scrub.value, 10), "scrub"));
    const speed = q(".cv-speed");
    for (const s of SPEEDS) el("option", { value: String(s) }, speed, `${s} / s`);
    speed.value = String(this.speed);
    speed.onchange = () => { this.speed = parseInt(speed.value, 10); if (this.playing) { this.stop(false); this.play(); } };
    q(".cv-large-box").onchange = (e) => {
      this.root.classList.toggle("cv-large", e.target.checked);
      this.colX = null;
      this.fillColumns();
    };
    q(".cv-tablewrap").addEventListener("scroll", () => this.fillColumns(), { passive: true });
    this.resize = window.ResizeObserver ? new ResizeObserver(() => { this.colX = null; this.fillColumns(); }) : null;
    if (this.resize) this.resize.observe(q(".cv-tablewrap"));
    this.root.addEventListener("keydown", (e) => this.key(e, false));
    this.q(".cv-table").addEventListener("click", (e) => {
      const cell = e.target.closest("[data-u]");
      if (cell) this.pickUnit(parseInt(cell.dataset.u, 10));
    });
    this.root.addEventListener("pointerover", (e) => this.tip(e));
    this.root.addEventListener("pointerout", (e) => { if (!e.relatedTarget || !e.relatedTarget.closest || !e.relatedTarget.closest("[data-tip]")) this.hideTip(); });
    this.root.addEventListener("click", (e) => { if (e.pointerType === "touch" || e.pointerType === "pen") this.tip(e); });
  }

  setData(data, api) {
    this.api = api;
    if (this.M && sameBytes(data, this.data)) return;    // the same trace again (a theme change, a resent message)
    this.data = data;
    this.M = model(data);
    registry().loads += 1;                               // payloads decoded so far (tests: no resend per step)
    const M = this.M, q = this.q;
    this.compact = M.compact;
    this.target = M.target;
    this.root.classList.toggle("cv-compact", this.compact);
    this.root.dataset.kind = M.kind;
    const how = M.variant !== "lstm" ? ` (variant ${M.variant})` : M.nonlinearity === "relu" ? " (relu)" : "";
    q(".cv-kind").textContent = `${M.kind.toUpperCase()} cell${how}`;
    q(".cv-T").textContent = String(M.T);
    q(".cv-scrub").max = String(M.T - 1);
    q(".cv-lo").textContent = fixed(-M.S, 1);
    q(".cv-hi").textContent = fixed(M.S, 1, true);
    q(".cv-key-gate").style.background = gradient(VIRIDIS);
    q(".cv-key-signed").style.background = gradient(RDBU_R);
    q(".cv-boxes").textContent = BOX_WORDS[M.kind];
    q(".cv-foot").textContent = M.title;
    this.parts = buildDiagram(q(".cv-diagram"), M);
    this.buildTable();
    const reg = registry();
    if (this.target) reg.views[this.target] = this;
    const last = (this.target && reg.last[this.target]) || M.start || {};
    this.serverStep = Number.isInteger(last.step) ? last.step : null;
    this.serverUnit = Number.isInteger(last.unit) ? last.unit : null;
    this.stop(false);
    this.step = this.clampStep(this.serverStep ?? this.step);
    this.unit = this.clampUnit(this.serverUnit ?? this.unit);
    this.render();
  }

  buildTable() {
    const M = this.M, head = this.q(".cv-table thead"), body = this.q(".cv-table tbody");
    head.textContent = ""; body.textContent = "";
    const hr = el("tr", {}, head);
    el("th", { scope: "col", class: "cv-rowname" }, hr, "unit");
    this.heads = [];
    for (let u = 0; u < M.H; u++) this.heads.push(el("th", { scope: "col", "data-u": String(u), "data-tip": "head" }, hr, String(u)));
    this.cells = {};
    this.filled = new Int32Array(M.H).fill(-1);    // the step each column shows
    this.colX = null;
    this.shownUnit = null;
    for (const q of M.rows) {
      const tr = el("tr", {}, body);
      const th = el("th", { scope: "row", class: "cv-rowname", title: WORDS[q] }, tr);
      th.textContent = BOX[q] && M.kind === "lstm" ? `${CIRCLED[BOX[q]]} ${q}` : q;
      this.cells[q] = [];
      for (let u = 0; u < M.H; u++) this.cells[q].push(el("td", { "data-u": String(u), "data-q": q, "data-tip": "cell" }, tr));
    }
  }

  clampStep(t) { return Math.max(0, Math.min(this.M.T - 1, t | 0)); }
  clampUnit(u) { return Math.max(0, Math.min(this.M.H - 1, u | 0)); }

  /** Move to step t because of `why` ('key', 'button', 'scrub', 'play', 'server'). */
  go(t, why, ev = null) {
    if (why !== "play" && this.playing) this.stop(false);
    const next = this.clampStep(t);
    const changed = next !== this.step;
    this.step = next;
    if (changed || why === "server") this.render(ev);
    if (why !== "play" && why !== "server") this.scheduleReport(why === "scrub" ? 400 : 600);
  }

  pickUnit(u) {
    this.unit = this.clampUnit(u);
    this.render();
    if (this.unit !== this.serverUnit && this.api && this.api.setTriggerValue && this.target) {
      this.serverUnit = this.unit;
      this.api.setTriggerValue("unit", this.unit);
    }
  }

  /** The server's step and unit (the sidebar, which lives in the URL). Echoes of our own reports are ignored. */
  fromServer(d) {
    if (!this.M) return;
    if (Number.isInteger(d.step) && d.step !== this.serverStep) {
      this.serverStep = d.step;
      this.go(d.step, "server");
    }
    if (Number.isInteger(d.unit) && d.unit !== this.serverUnit) {
      this.serverUnit = d.unit;
      this.unit = this.clampUnit(d.unit);
      this.render();
    }
  }

  scheduleReport(delay) {
    clearTimeout(this.reportTimer);
    this.reportTimer = setTimeout(() => this.report(), delay);
  }

  /** Tell Python the step we stopped at (not while playing, not per step), so the sidebar and URL follow. */
  report() {
    if (this.playing || !this.api || !this.api.setTriggerValue || !this.target) return;
    if (this.step === this.serverStep) return;
    this.serverStep = this.step;
    this.api.setTriggerValue("step", this.step);
    this.showSync();
  }

  /** While the view is ahead of the sidebar (playing, or a moment after a key), say what the sidebar still shows. */
  showSync() {
    const note = this.q(".cv-sync"), behind = !!this.target && this.serverStep !== null && this.serverStep !== this.step;
    note.hidden = !behind;
    if (behind) note.textContent = `(the sidebar's step, ${this.serverStep}, follows when you stop)`;
  }

  toggle() { if (this.playing) this.stop(true); else this.play(); }

  play() {
    if (this.step >= this.M.T - 1) this.go(0, "play");
    this.playing = true;
    this.root.classList.add("cv-playing");
    const b = this.q(".cv-play");
    b.textContent = "❚❚"; b.setAttribute("aria-label", "Pause (space)");
    this.timer = setInterval(() => {
      if (this.step >= this.M.T - 1) { this.stop(true); return; }
      this.go(this.step + 1, "play");
    }, 1000 / this.speed);
  }

  stop(report) {
    const was = this.playing;
    clearInterval(this.timer);
    this.timer = null;
    this.playing = false;
    this.root.classList.remove("cv-playing");
    const b = this.q(".cv-play");
    b.textContent = "▶"; b.setAttribute("aria-label", "Play (space)");
    if (report && was) this.scheduleReport(0);
  }

  /** Keys on the focused view: ← → one step, Home / End, space plays. */
  key(e, global) {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    const tag = e.target && e.target.tagName;
    const own = tag === "SELECT" || (tag === "INPUT" && e.target.type === "checkbox") ||
      (tag === "BUTTON" && (e.key === " " || e.key === "Enter"));
    if (own) return;                                   // let focused controls do their own thing
    let to = null;
    if (e.key === "ArrowRight") to = this.step + 1;
    else if (e.key === "ArrowLeft") to = this.step - 1;
    else if (e.key === "Home" && !global) to = 0;
    else if (e.key === "End" && !global) to = this.M.T - 1;
    else if (e.key === " " && !global) { e.preventDefault(); e.stopPropagation(); this.toggle(); return; }
    if (to === null) return;
    e.preventDefault();
    e.stopPropagation();
    this.go(to, "key", e);
  }

  /** ← and → anywhere on the page, unless something else has focus (typing in a box, a slider, a button).
   * Home, End and space keep scrolling the page unless the view has focus. The offline file takes them all. */
  globalKey(e) {
    if (e.defaultPrevented || !this.M) return;
    const a = document.activeElement;
    if (a && a !== document.body && a !== document.documentElement) return;
    const r = this.root.getBoundingClientRect();
    if (r.bottom < 0 || r.top > window.innerHeight || r.width === 0) return;   // not on screen
    const views = Object.values(registry().views).filter((v) => v.root.isConnected);
    if (views.length && views[0] !== this && !this.api.standalone) return;   // one view answers
    this.key(e, !this.api.standalone);
  }

  render(ev = null) {
    const M = this.M, t = this.step, u = this.unit, q = this.q;
    const v = values(M, t, u);
    this.v = v;
    this.root.dataset.step = String(t);
    this.root.dataset.unit = String(u);
    q(".cv-step").textContent = String(t);
    q(".cv-step2").textContent = String(t);
    q(".cv-step3").textContent = String(t);
    q(".cv-unit2").textContent = String(u);
    q(".cv-where").textContent = `· unit ${u} of ${M.H}` + (M.layers > 1 ? ` · layer ${M.layer} of ${M.layers}` : "");
    this.inputT.textContent = String(t);
    this.inputV.textContent = shorten(M.labels[t], 60);
    q(".cv-scrub").value = String(t);
    this.showSync();
    q(".cv-reading").textContent = reading(M, t, u);
    paintDiagram(this.parts, M, v, t);
    if (!this.compact) { this.renderEquations(); this.renderTable(); }
    if (this.tipFor) this.showTip(this.tipFor, null);
    if (ev) this.time(ev);
  }

  renderEquations() {
    const lines = equations(this.M, this.step, this.unit);
    this.q(".cv-eqs").innerHTML = lines.map((l) => `<div class="cv-eq"><span class="cv-eq-n">${l.n ? CIRCLED[l.n] : ""}</span>` +
      `<span class="cv-eq-sym">${l.sym}</span> <span class="cv-eq-num">${l.ok ? "=" : "≈"} ${l.num}</span></div>`).join("");
  }

  /** The table at this step. Only the columns in sight (and two either side) are filled now, the others when
   * they scroll into view: at 128 units that is most of a step's work saved. */
  renderTable() {
    const M = this.M, u = this.unit;
    if (this.shownUnit !== u) {
      this.root.querySelectorAll(".cv-sel").forEach((n) => n.classList.remove("cv-sel"));
      this.heads[u].classList.add("cv-sel");
      for (const q of M.rows) this.cells[q][u].classList.add("cv-sel");
      this.shownUnit = u;
      const wrap = this.q(".cv-tablewrap"), x = this.columnX()[u], w = this.heads[u].offsetWidth;
      if (x < wrap.scrollLeft + 40 || x + w > wrap.scrollLeft + wrap.clientWidth) wrap.scrollLeft = Math.max(0, x - wrap.clientWidth / 2);
    }
    this.fillColumns();
  }

  /** Where each unit's column starts, in the table's own coordinates (measured once per layout). */
  columnX() {
    if (!this.colX) {
      const left = this.q(".cv-table").getBoundingClientRect().left;
      this.colX = this.heads.map((th) => th.getBoundingClientRect().left - left);
    }
    return this.colX;
  }

  fillColumns() {
    if (this.compact || !this.M || !this.filled) return;
    const M = this.M, t = this.step, S = M.S, H = M.H, X = this.columnX(), wrap = this.q(".cv-tablewrap");
    const left = wrap.scrollLeft, right = left + (wrap.clientWidth || 1e6);
    let k0 = 0, k1 = H - 1;
    while (k0 < H - 1 && X[k0 + 1] < left) k0++;
    while (k1 > k0 && X[k1] > right) k1--;
    k0 = Math.max(0, k0 - 2); k1 = Math.min(H - 1, k1 + 2);
    for (const q of M.rows) {
      const arr = M.f[q], cells = this.cells[q], base = t * H, scale = GATES.has(q) ? "gate" : "signed";
      for (let k = k0; k <= k1; k++) {
        if (this.filled[k] === t) continue;
        const val = arr[base + k], c = colour(val, scale, S), td = cells[k];
        td.textContent = two(val, scale === "signed");
        td.style.background = c.fill;
        td.style.color = c.ink;
      }
    }
    for (let k = k0; k <= k1; k++) this.filled[k] = t;
  }

  time(ev) {
    const t0 = ev.timeStamp, timings = registry().timings;
    const dom = performance.now() - t0;
    requestAnimationFrame(() => setTimeout(() => {
      timings.push({ dom, frame: performance.now() - t0, step: this.step });
      if (timings.length > 2000) timings.shift();
    }, 0));
  }

  // --- hover / tap: what a thing is and its value

  tip(e) {
    const target = e.target && e.target.closest ? e.target.closest("[data-tip]") : null;
    if (!target || !this.root.contains(target)) { if (e.type === "click") this.hideTip(); return; }
    this.tipFor = target;
    this.showTip(target, e);
  }

  showTip(target, e) {
    const text = this.tipText(target);
    const tip = this.q(".cv-tip");
    if (!text) { this.hideTip(); return; }
    tip.textContent = "";
    notation(tip, text[0]);
    if (text[1]) tip.append(": " + text[1]);
    tip.hidden = false;
    const box = this.root.getBoundingClientRect();
    const r = target.getBoundingClientRect();
    const x = e && e.clientX !== undefined && e.clientX !== 0 ? e.clientX : r.left + r.width / 2;
    const y = e && e.clientY !== undefined && e.clientY !== 0 ? e.clientY : r.top;
    const w = Math.min(tip.offsetWidth, box.width);
    tip.style.left = `${Math.max(0, Math.min(box.width - w, x - box.left - w / 2))}px`;
    tip.style.top = `${Math.max(0, y - box.top - tip.offsetHeight - 12)}px`;
  }

  hideTip() { this.tipFor = null; this.q(".cv-tip").hidden = true; }

  /** [what it is (notation: W_f, h_{t−1}), its value (plain text, may be the visitor's input)] or null. */
  tipText(target) {
    const [kind, id] = (target.dataset.tip || "").split(":");
    const v = this.v, M = this.M, f4 = (x, signed) => fixed(x, 4, signed);
    if (kind === "bus") return ["[h_{t−1}, x_t]: the last short-term memory and this input, read by every gate (a vector, so drawn grey)", ""];
    if (kind === "line" || kind === "label") {
      if (id === "x" || id === "x_label") return [this.parts.lines.x.tip, M.labels[this.step]];
      if (id === "a_h") return ["a = W_{ih} x_t + b_{ih} + W_{hh} h_{t−1} + b_{hh}, what the tanh reads", f4(v.a_h, true)];
      const L = kind === "line" ? this.parts.lines[id] : Object.values(this.parts.lines).find((l) => l.q === id);
      return L ? [L.tip, f4(v[L.q], SIGNED_VALUES.has(L.q))] : null;
    }
    if (kind === "box") {
      const B = this.parts.boxes[id];
      const pre = M.pre[id] ? ` (it read the pre-activation ${f4(v["a_" + id], true)})` : "";
      const n = BOX[id] && M.kind === "lstm" ? `box ${BOX[id]}, ` : "";
      return [n + B.tip, f4(v[B.q], B.scale !== "gate") + pre];
    }
    if (kind === "op") {
      const O = this.parts.ops[id];
      return [{ "×": "pointwise product", "+": "pointwise sum", "1−": "one minus" }[O.t.textContent], f4(v[O.q], true)];
    }
    if (kind === "cell") {
      const q = target.dataset.q, u = parseInt(target.dataset.u, 10);
      return [`unit ${u}, ${q} (${WORDS[q]}) at step ${this.step}`, f4(M.f[q][this.step * M.H + u], !GATES.has(q))];
    }
    if (kind === "head") return [`unit ${target.dataset.u}: click to follow it in the diagram`, ""];
    return null;
  }

  destroy() {
    this.stop(false);
    if (this.resize) this.resize.disconnect();
    clearTimeout(this.reportTimer);
    document.removeEventListener("keydown", this.onGlobalKey);
    const reg = registry();
    if (this.target && reg.views[this.target] === this) delete reg.views[this.target];
  }
}

/** Streamlit calls this with {data, parentElement, setTriggerValue, ...} on mount and whenever data changes
 * (the same parentElement again, without running the previous cleanup), so one View lives per element. */
function mount(component) {
  const host = component.parentElement;
  let view = host.__cellview;
  if (!view || !view.root.isConnected) {
    view = new View(host, component);
    host.__cellview = view;
  }
  view.setData(component.data, component);
  return () => { view.destroy(); view.root.remove(); host.__cellview = null; };
}

export default mount;
