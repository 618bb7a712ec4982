// voxcas viewer: the run history, a run's page, and an image viewer drawn from server-rendered
// slices (/viewer/api/images/{digest}/slice: voxcas.pictures, radiological orientation, square
// pixels). Plain JavaScript, no build step, no library, nothing loaded from another site.
"use strict";

const app = document.getElementById("app");

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(path) {
  const response = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (response.status === 401) {
    location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
    throw new Error("sign in needed");
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `${response.status} ${response.statusText}`);
  return body;
}

function when(seconds) {
  return seconds ? new Date(seconds * 1000).toLocaleString() : "";
}

function short(id) {
  return id ? id.slice(0, 12) : "";
}

function show(...nodes) {
  app.replaceChildren(...nodes.flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false));
  app.dataset.state = "ready";
}

function fail(error) {
  show(el("p", { class: "error", id: "error" }, String(error.message || error)));
  app.dataset.state = "error";
}

function thumbUrl(digest) {
  return `/viewer/api/images/${encodeURIComponent(digest)}/slice?axis=z&thumbnail=true`;
}

function imageLink(value, run, extra) {
  const params = new URLSearchParams(extra || {});
  if (run) params.set("run", run);
  const query = params.toString();
  return `/view/image/${encodeURIComponent(value.digest)}${query ? "?" + query : ""}`;
}

function valueCell(value, run) {
  if (value.kind === "image" && value.digest) {
    return el("a", { href: imageLink(value, run), title: value.text, class: "image-link" },
      el("img", { class: "thumb", src: thumbUrl(value.digest), alt: value.text, loading: "lazy" }));
  }
  return el("span", { class: "value mono", title: value.kind }, value.text);
}

// -- the run history ----------------------------------------------------------------------------

async function runsPage() {
  const { runs } = await api("/viewer/api/runs");
  if (!runs.length) {
    show(el("h1", {}, "Runs"), el("p", { class: "muted", id: "no-runs" },
      "This store has no runs yet: vox run prog.imgql records one."));
    return;
  }
  const rows = runs.map((r) => el("tr", { dataset: { run: r.id } },
    el("td", {}, el("a", { href: `/view/runs/${r.id}`, class: "mono run-link" }, short(r.id))),
    el("td", {}, r.name || r.program, r.refs.length ? el("span", { class: "muted" }, ` (${r.refs.join(", ")})`) : null),
    el("td", { class: `status-${r.status}` }, r.status),
    el("td", {}, when(r.started)),
    el("td", {}, String(r.goals)),
    el("td", {}, `${r.computed} computed, ${r.reused} reused${r.failed ? `, ${r.failed} failed` : ""}`)));
  show(el("h1", {}, "Runs"),
    el("table", { id: "runs" },
      el("thead", {}, el("tr", {}, ["run", "program", "status", "started", "goals", "nodes"].map((h) => el("th", {}, h)))),
      el("tbody", {}, rows)));
}

// -- a run --------------------------------------------------------------------------------------

function rowOverlays(values) {
  const images = values.filter((v) => v.kind === "image" && v.digest);
  const base = images.find((v) => !v.mask) || images[0];
  if (!base) return null;
  const masks = images.filter((v) => v.mask && v !== base);
  return { base, masks };
}

async function runPage(runText) {
  const page = await api(`/viewer/api/runs/${encodeURIComponent(runText)}`);
  const run = page.id;
  const meta = el("div", { class: "meta" },
    el("span", { class: "muted" }, "run"), el("span", { class: "mono", id: "run-id" }, run),
    el("span", { class: "muted" }, "program"), el("span", {}, page.program),
    el("span", { class: "muted" }, "status"), el("span", { class: `status-${page.status}` }, page.status),
    el("span", { class: "muted" }, "started"), el("span", {}, when(page.started)),
    el("span", { class: "muted" }, "nodes"),
    el("span", {}, `${page.computed} computed, ${page.reused} reused, ${page.failed} failed`),
    page.refs.length ? [el("span", { class: "muted" }, "refs"), el("span", {}, page.refs.join(", "))] : null,
    Object.keys(page.options.params || {}).length
      ? [el("span", { class: "muted" }, "parameters"),
        el("span", { class: "mono" }, Object.entries(page.options.params).map(([k, v]) => `${k}=${v}`).join(" "))]
      : null);
  const goalRows = page.goals.map((g) => el("tr", { dataset: { goal: g.index } },
    el("td", {}, g.kind),
    el("td", { class: "mono" }, g.target),
    el("td", {}, g.error ? el("span", { class: "error" }, g.error)
      : g.items ? el("span", { class: "muted" }, `${g.items.length} item${g.items.length === 1 ? "" : "s"} (below)`)
        : valueCell(g.value, run))));
  const tables = page.tables.map((t, ti) => {
    const head = el("tr", {}, el("th", {}, "case"), t.columns.map((c) => el("th", { class: "mono" }, `${c.kind} ${c.target}`)), el("th", {}, ""));
    const rows = t.rows.map((row) => {
      const layers = rowOverlays(row.values);
      let open = null;
      if (layers) {
        const params = new URLSearchParams();
        for (const m of layers.masks) params.append("mask", m.digest);
        params.set("run", run);
        open = el("a", { href: `/view/image/${encodeURIComponent(layers.base.digest)}?${params}`, class: "open-case" }, "view");
      }
      return el("tr", { dataset: { case: row.case }, class: "case-row" },
        el("td", { title: row.input || "" }, row.case),
        row.values.map((v) => el("td", { title: v.target }, valueCell(v, run))),
        el("td", {}, open));
    });
    return [el("h2", {}, `Items${page.tables.length > 1 ? ` (${ti + 1})` : ""}`),
      el("table", { class: "cases", id: `cases-${ti}` }, el("thead", {}, head), el("tbody", {}, rows))];
  });
  const failures = page.failures.length
    ? [el("h2", {}, "Failures"), el("ul", {}, page.failures.map((f) => el("li", { class: "error mono" }, f.message)))]
    : null;
  show(el("h1", {}, `Run ${short(run)}`), meta,
    el("h2", {}, "Goals"),
    el("table", { id: "goals" },
      el("thead", {}, el("tr", {}, el("th", {}, "goal"), el("th", {}, "target"), el("th", {}, "value"))),
      el("tbody", {}, goalRows)),
    tables, failures);
}

// -- the image viewer ---------------------------------------------------------------------------

const PLANES = [["z", "axial"], ["y", "coronal"], ["x", "sagittal"]];
const PALETTE = ["#ff0000", "#00ff00", "#0000ff", "#ffff00", "#00ffff", "#ff00ff", "#ff8000", "#8000ff"];

function candidatesOf(page, base) {
  // images of the run on the same grid as the base: the overlays one may choose
  const seen = new Map();
  const add = (name, v) => {
    // masks, and whole-number images as label maps (a float image is an intensity, not labels)
    const usable = v && (v.mask || /^u?int/.test(v.pixel_type || ""));
    if (usable && v.kind === "image" && v.digest && v.digest !== base.digest && !seen.has(v.digest)
      && JSON.stringify(v.size) === JSON.stringify(base.size) && v.components === 1) {
      seen.set(v.digest, { digest: v.digest, name, mask: v.mask });
    }
  };
  for (const g of page.goals) {
    if (g.value) add(g.target, g.value);
    for (const item of g.items || []) add(item.target, item.value);
  }
  return [...seen.values()];
}

async function imagePage(digest) {
  const params = new URLSearchParams(location.search);
  const run = params.get("run");
  const state = {
    digest,
    window: null,
    style: params.get("style") || "filled",
    opacity: params.has("opacity") ? Number(params.get("opacity")) : 0.5,
    overlays: [],
    labels: params.get("labels"),
    index: {},
    cross: true,
  };
  const info = await api(`/viewer/api/images/${encodeURIComponent(digest)}`);
  state.info = info;
  const given = params.getAll("mask");
  const colors = params.getAll("color");
  given.forEach((d, i) => state.overlays.push({ digest: d, name: short(d.replace("sha256:", "")), mask: true, on: true, color: colors[i] || PALETTE[i % PALETTE.length] }));
  if (run) {
    try {
      const page = await api(`/viewer/api/runs/${encodeURIComponent(run)}`);
      const base = { digest: info.digest, size: null, components: 1 };
      for (const g of page.goals) {
        const all = [g.value, ...(g.items || []).map((i) => i.value)];
        const me = all.find((v) => v && v.digest === info.digest);
        if (me) base.size = me.size;
      }
      if (base.size) {
        for (const c of candidatesOf(page, base)) {
          const known = state.overlays.find((o) => o.digest === c.digest);
          if (known) known.name = c.name;
          else state.overlays.push({ ...c, on: false, color: PALETTE[state.overlays.length % PALETTE.length] });
        }
      }
    } catch (error) { /* the run is only a source of overlays: the image shows without it */ }
  }
  if (state.labels) {  // a label map asked for in the address is shown, alone
    const known = state.overlays.find((o) => o.digest === state.labels);
    for (const o of state.overlays) o.on = false;
    if (known) Object.assign(known, { mask: false, on: true });
    else state.overlays.push({ digest: state.labels, name: short(state.labels.replace("sha256:", "")), mask: false, on: true, color: null });
  }
  const axes = info.dim === 3 ? PLANES : [["z", "slice"]];
  for (const [axis] of axes) {
    const n = info.slices[axis];
    const asked = params.get(axis);
    state.index[axis] = asked !== null && Number(asked) >= 0 && Number(asked) < n ? Number(asked) : Math.floor(n / 2);
  }
  const w = params.get("window");
  state.window = w && w.includes(":") ? w.split(":").map(Number) : info.window.slice();

  const planes = {};
  const grid = el("div", { class: "planes", id: "planes" });
  for (const [axis, name] of axes) {
    const n = info.slices[axis];
    const img = el("img", { id: `img-${axis}`, alt: `${name} slice`, draggable: "false", dataset: { state: "loading", axis } });
    const h = el("div", { class: "cross" });
    const v = el("div", { class: "cross" });
    const frame = el("div", { class: "frame", tabindex: "0", id: `frame-${axis}` }, img, h, v);
    const pos = el("span", { class: "pos", id: `pos-${axis}` });
    const slider = el("input", { type: "range", min: 0, max: n - 1, value: state.index[axis], id: `slider-${axis}`, "aria-label": `${name} slice` });
    const box = el("div", { class: "plane", dataset: { axis } },
      el("div", { class: "head" }, el("span", {}, name), pos), frame, slider);
    planes[axis] = { axis, img, h, v, frame, pos, slider, n, busy: false, want: null, loading: null };
    grid.append(box);
    slider.addEventListener("input", () => setSlice(axis, Number(slider.value)));
    frame.addEventListener("wheel", (e) => { e.preventDefault(); setSlice(axis, state.index[axis] + (e.deltaY > 0 ? -1 : 1)); }, { passive: false });
    frame.addEventListener("keydown", (e) => {
      const step = { ArrowUp: 1, ArrowRight: 1, PageUp: 10, ArrowDown: -1, ArrowLeft: -1, PageDown: -10 }[e.key];
      if (step) { e.preventDefault(); setSlice(axis, state.index[axis] + step); }
    });
    frame.addEventListener("contextmenu", (e) => e.preventDefault());
    frame.addEventListener("mousedown", (e) => startDrag(axis, e));
    img.addEventListener("load", () => loaded(planes[axis]));
    img.addEventListener("error", () => failed(planes[axis]));
  }

  function sliceUrl(axis) {
    const q = new URLSearchParams({ axis, index: state.index[axis], window: `${state.window[0]}:${state.window[1]}` });
    const shown = state.overlays.filter((o) => o.on);
    const labels = shown.find((o) => !o.mask);
    if (labels) q.set("labels", labels.digest);
    else for (const o of shown) { q.append("mask", o.digest); q.append("color", o.color); }
    if (shown.length) { q.set("style", state.style); q.set("opacity", state.opacity); }
    return `/viewer/api/images/${encodeURIComponent(digest)}/slice?${q}`;
  }

  function refresh(axis) {
    const p = planes[axis];
    p.want = sliceUrl(axis);
    p.wantIndex = state.index[axis];
    p.pos.textContent = `${state.index[axis]} / ${p.n - 1}`;
    p.slider.value = state.index[axis];
    if (!p.busy) load(p);
    drawCross();
  }

  function load(p) {
    p.busy = true;
    p.loading = p.want;
    p.loadingIndex = p.wantIndex;
    p.img.dataset.state = "loading";
    p.img.src = p.want;
  }

  // the picture fills its plane, keeping its aspect (its pixels are square millimetres already)
  function fit(p) {
    const nw = p.img.naturalWidth, nh = p.img.naturalHeight;
    if (!nw || !nh) return;
    const scale = Math.min(p.frame.clientWidth / nw, (window.innerHeight * 0.7) / nh);
    p.img.style.width = `${Math.max(1, Math.floor(nw * scale))}px`;
    p.img.style.height = `${Math.max(1, Math.floor(nh * scale))}px`;
  }

  function loaded(p) {
    p.busy = false;
    fit(p);
    p.img.dataset.index = p.loadingIndex;
    if (p.want !== p.loading) { load(p); return; }
    p.img.dataset.state = "ready";
    p.img.dataset.src = p.loading;
    drawCross();
    saveState();
  }

  async function failed(p) {
    p.busy = false;
    p.img.dataset.state = "error";
    const response = await fetch(p.loading, { credentials: "same-origin" }).catch(() => null);
    const body = response ? await response.json().catch(() => ({})) : {};
    message.textContent = body.error || "the slice could not be drawn";
  }

  function refreshAll() { for (const [axis] of axes) refresh(axis); }

  function setSlice(axis, index) {
    const n = planes[axis].n;
    index = Math.max(0, Math.min(n - 1, index));
    if (index === state.index[axis]) return;
    state.index[axis] = index;
    refresh(axis);
  }

  // a click on one plane moves the other two through that point (x right→left, y front→back, z up)
  function pointAt(axis, e) {
    const rect = planes[axis].img.getBoundingClientRect();
    const fx = (e.clientX - rect.left) / rect.width;
    const fy = (e.clientY - rect.top) / rect.height;
    if (fx < 0 || fx > 1 || fy < 0 || fy > 1 || info.dim !== 3) return;
    const s = info.slices;
    const at = (f, n) => Math.max(0, Math.min(n - 1, Math.floor(f * n)));
    if (axis === "z") { setSlice("x", at(fx, s.x)); setSlice("y", at(fy, s.y)); }
    if (axis === "y") { setSlice("x", at(fx, s.x)); setSlice("z", s.z - 1 - at(fy, s.z)); }
    if (axis === "x") { setSlice("y", at(fx, s.y)); setSlice("z", s.z - 1 - at(fy, s.z)); }
  }

  // left button: move the cursor; right button (or shift): drag the window (→ width, ↑ level)
  function startDrag(axis, e) {
    e.preventDefault();
    planes[axis].frame.focus();
    const windowing = e.button === 2 || e.shiftKey;
    if (!windowing) pointAt(axis, e);
    const start = { x: e.clientX, y: e.clientY, window: state.window.slice() };
    const range = Math.max(1e-9, (info.max ?? 1) - (info.min ?? 0));
    const move = (m) => {
      if (!windowing) { pointAt(axis, m); return; }
      const width0 = start.window[1] - start.window[0];
      const level0 = (start.window[1] + start.window[0]) / 2;
      const width = Math.max(range / 1000, width0 + (m.clientX - start.x) * range / 300);
      const level = level0 - (m.clientY - start.y) * range / 300;
      setWindow(level - width / 2, level + width / 2);
    };
    const up = () => { window.removeEventListener("mousemove", move); window.removeEventListener("mouseup", up); };
    window.addEventListener("mousemove", move);
    window.addEventListener("mouseup", up);
  }

  function drawCross() {
    if (info.dim !== 3) return;
    const s = info.slices;
    const spots = {
      z: [(state.index.x + 0.5) / s.x, (state.index.y + 0.5) / s.y],
      y: [(state.index.x + 0.5) / s.x, (s.z - 1 - state.index.z + 0.5) / s.z],
      x: [(state.index.y + 0.5) / s.y, (s.z - 1 - state.index.z + 0.5) / s.z],
    };
    for (const [axis] of axes) {
      const p = planes[axis];
      const [fx, fy] = spots[axis];
      const { offsetLeft: left, offsetTop: top, offsetWidth: width, offsetHeight: height } = p.img;
      p.h.style.display = p.v.style.display = state.cross && width ? "block" : "none";
      Object.assign(p.v.style, { left: `${left + fx * width}px`, top: `${top}px`, width: "1px", height: `${height}px` });
      Object.assign(p.h.style, { left: `${left}px`, top: `${top + fy * height}px`, width: `${width}px`, height: "1px" });
    }
  }

  function saveState() {
    const q = new URLSearchParams();
    if (run) q.set("run", run);
    for (const [axis] of axes) q.set(axis, state.index[axis]);
    q.set("window", `${state.window[0]}:${state.window[1]}`);
    for (const o of state.overlays.filter((o) => o.on && o.mask)) { q.append("mask", o.digest); q.append("color", o.color); }
    const labels = state.overlays.find((o) => o.on && !o.mask);
    if (labels) q.set("labels", labels.digest);
    if (state.style !== "filled") q.set("style", state.style);
    if (state.opacity !== 0.5) q.set("opacity", state.opacity);
    history.replaceState(null, "", `${location.pathname}?${q}`);
  }

  // window / level
  const lo = el("input", { type: "number", id: "window-lo", step: "any", value: state.window[0] });
  const hi = el("input", { type: "number", id: "window-hi", step: "any", value: state.window[1] });
  const levelText = el("span", { class: "muted", id: "level-width" });
  function setWindow(a, b) {
    if (!(b > a)) return;
    state.window = [Number(a.toPrecision(6)), Number(b.toPrecision(6))];
    lo.value = state.window[0];
    hi.value = state.window[1];
    levelText.textContent = `level ${Number(((a + b) / 2).toPrecision(5))}, width ${Number((b - a).toPrecision(5))}`;
    refreshAll();
  }
  // an empty or unfinished number changes nothing
  lo.addEventListener("change", () => { if (lo.value !== "") setWindow(Number(lo.value), state.window[1]); });
  hi.addEventListener("change", () => { if (hi.value !== "") setWindow(state.window[0], Number(hi.value)); });
  const auto = el("button", { type: "button", id: "window-auto", onclick: () => setWindow(info.window[0], info.window[1]) }, "auto");
  const full = el("button", { type: "button", id: "window-full", onclick: () => setWindow(info.min ?? 0, info.max ?? 1) }, "full range");

  // overlays
  const legend = el("div", { id: "legend" });
  async function showLegend() {
    const labels = state.overlays.find((o) => o.on && !o.mask);
    legend.replaceChildren();
    if (!labels) return;
    try {
      const withLabels = await api(`/viewer/api/images/${encodeURIComponent(digest)}?labels=${encodeURIComponent(labels.digest)}`);
      legend.replaceChildren(...withLabels.overlay.values.map((v) =>
        el("div", { class: "overlay-row" }, el("span", { class: "swatch", style: `background:${v.color}` }), `label ${v.value}`)));
    } catch (error) { message.textContent = error.message; }
  }
  const overlayRows = state.overlays.map((o, i) => {
    const box = el("input", { type: "checkbox", id: `overlay-${i}`, checked: o.on, dataset: { digest: o.digest } });
    box.addEventListener("change", () => {
      o.on = box.checked;
      if (o.on) {  // a label map is shown alone; masks go together
        for (const other of state.overlays) if (other !== o && (!o.mask || !other.mask)) other.on = false;
        state.overlays.forEach((other, j) => { document.getElementById(`overlay-${j}`).checked = other.on; });
      }
      message.textContent = "";
      showLegend();
      refreshAll();
      saveState();
    });
    const color = o.mask ? el("input", { type: "color", id: `overlay-color-${i}`, value: o.color }) : el("span", { class: "muted" }, "labels");
    if (o.mask) color.addEventListener("input", () => { o.color = color.value; if (o.on) refreshAll(); });
    return el("div", { class: "overlay-row" }, box, color, el("label", { for: `overlay-${i}`, class: "name", title: o.digest }, o.name));
  });
  const opacity = el("input", { type: "range", id: "opacity", min: 0, max: 1, step: 0.05, value: state.opacity });
  opacity.addEventListener("change", () => { state.opacity = Number(opacity.value); refreshAll(); });
  const style = el("select", { id: "style" }, el("option", { value: "filled" }, "filled"), el("option", { value: "outline" }, "outline"));
  style.value = state.style;
  style.addEventListener("change", () => { state.style = style.value; refreshAll(); });
  const cross = el("input", { type: "checkbox", id: "crosshair", checked: true });
  cross.addEventListener("change", () => { state.cross = cross.checked; drawCross(); });
  const message = el("p", { class: "error", id: "viewer-error" });

  const controls = el("div", { class: "controls" },
    el("fieldset", {}, el("legend", {}, "Window"),
      el("label", {}, "low ", lo), el("label", {}, "high ", hi), levelText, el("div", {}, auto, " ", full),
      el("p", { class: "muted" }, "Right-drag (or shift-drag) on a plane: → width, ↑ level.")),
    el("fieldset", {}, el("legend", {}, "Overlays"),
      overlayRows.length ? overlayRows : el("p", { class: "muted" }, run ? "No other image of this run lies on this grid." : "Open an image from a run to overlay its masks."),
      el("label", {}, "opacity ", opacity), el("label", {}, "style ", style), legend),
    el("fieldset", {}, el("legend", {}, "Display"), el("label", {}, cross, " crosshair"),
      el("p", { class: "muted" }, "Radiological: the patient's left on the right, anterior up in axial slices. Pixels keep the voxel spacing's aspect.")),
    message);
  show(el("h1", {}, "Image ", el("span", { class: "mono" }, short(digest.replace("sha256:", "")))),
    el("p", { class: "muted", id: "image-summary" }, info.summary, run ? [" · ", el("a", { href: `/view/runs/${run}` }, `run ${short(run)}`)] : null),
    el("div", { class: "viewer" }, grid, controls));
  setWindow(state.window[0], state.window[1]);
  showLegend();
  window.addEventListener("resize", () => { for (const [axis] of axes) fit(planes[axis]); drawCross(); });
}

// -- routing ------------------------------------------------------------------------------------

async function route() {
  const path = decodeURIComponent(location.pathname);
  try {
    if (path === "/" || path === "") await runsPage();
    else if (path.startsWith("/view/runs/")) await runPage(path.slice("/view/runs/".length));
    else if (path.startsWith("/view/image/")) await imagePage(path.slice("/view/image/".length));
    else fail(new Error(`no page ${path}`));
  } catch (error) {
    fail(error);
  }
}

route();
