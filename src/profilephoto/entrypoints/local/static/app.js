// The profilephoto page: upload, pick a style, watch the job live, download the result.
"use strict";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "profilephoto.token";
const TERMINAL = new Set(["completed", "failed"]);

const state = {
  upload: null, // {fileKey, objectUrl}
  style: null,
  styleNames: {},
  job: null, // {jobId, status}
  socket: null,
  connectionId: null,
  pollTimer: null,
  reconnectDelay: 1000,
};

// ---------- messages ----------

function notify(text, kind = "error") {
  const box = $("notice");
  box.textContent = text;
  box.className = `notice ${kind === "info" ? "info" : ""}`;
  box.hidden = !text;
}

function fail(error) {
  notify(explain(error));
  if (error.code === "unauthorized") askForToken();
  if (error.code === "quota_exceeded") loadUsage();
}

// ---------- token ----------

function readToken() {
  const match = location.hash.match(/token=([^&]+)/);
  if (match) {
    localStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    // The token should not linger in the address bar, history or screenshots.
    history.replaceState(null, "", location.pathname + location.search);
  }
  return localStorage.getItem(TOKEN_KEY);
}

function askForToken() {
  $("token-card").hidden = false;
  $("token-input").focus();
}

$("token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const value = $("token-input").value.trim().replace(/^Bearer\s+/i, "");
  if (!value) return;
  localStorage.setItem(TOKEN_KEY, value);
  $("token-input").value = "";
  start(value);
});

// ---------- photo ----------

function typeOf(file) {
  const ext = (file.name.split(".").pop() || "").toLowerCase();
  return { ext, type: file.type || TYPES[ext] || "" };
}

async function choose(file) {
  if (!file) return;
  notify("");
  const { type } = typeOf(file);
  if (!Object.values(TYPES).includes(type)) return notify("That file isn't a photo we can use. Please choose a JPEG, PNG, WebP or HEIC image.");
  if (file.size > MAX_BYTES) return notify(explain({ code: "file_too_large" }));
  if (file.size === 0) return notify("That file is empty. Please choose a photo.");

  const objectUrl = URL.createObjectURL(file);
  $("preview").src = objectUrl;
  $("preview").hidden = false;
  $("drop-hint").hidden = true;
  state.upload = null;
  updateGenerate();

  const bar = $("upload-progress");
  bar.hidden = false;
  bar.classList.remove("done");
  $("upload-fill").style.width = "0";
  $("file-info").textContent = `Uploading ${file.name} (${(file.size / 1024).toFixed(0)} KB)…`;
  try {
    const ticket = await api("/upload/presigned", { method: "POST", body: { fileName: file.name, contentType: type, fileSize: file.size } });
    await putWithProgress(ticket.uploadUrl, ticket.headers, file, (f) => { $("upload-fill").style.width = `${Math.round(f * 100)}%`; });
    $("upload-fill").style.width = "100%";
    bar.classList.add("done");
    $("file-info").textContent = `${file.name} uploaded.`;
    state.upload = { fileKey: ticket.fileKey, objectUrl };
  } catch (error) {
    bar.hidden = true;
    $("file-info").textContent = "";
    fail(error);
  }
  updateGenerate();
}

const drop = $("drop");
$("file-input").addEventListener("change", (e) => choose(e.target.files[0]));
drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("file-input").click(); } });
["dragenter", "dragover"].forEach((name) => drop.addEventListener(name, (e) => { e.preventDefault(); drop.classList.add("over"); }));
["dragleave", "drop"].forEach((name) => drop.addEventListener(name, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
drop.addEventListener("drop", (e) => choose(e.dataTransfer.files[0]));

// ---------- styles ----------

async function loadStyles() {
  const { styles } = await api("/styles");
  const box = $("styles");
  box.textContent = "";
  for (const style of styles) {
    state.styleNames[style.id] = style.name;
    const label = document.createElement("label");
    label.className = "style";
    label.innerHTML = `<input type="radio" name="style"><div><strong></strong><span></span></div>`;
    const input = label.querySelector("input");
    input.value = style.id;
    label.querySelector("strong").textContent = style.name;
    label.querySelector("span").textContent = style.description;
    input.addEventListener("change", () => selectStyle(style.id));
    box.appendChild(label);
  }
  selectStyle(state.style || (styles[0] && styles[0].id));
}

function selectStyle(id) {
  state.style = id;
  for (const input of document.querySelectorAll('input[name="style"]')) {
    input.checked = input.value === id;
    input.closest(".style").classList.toggle("selected", input.checked);
  }
  updateGenerate();
}

function updateGenerate() {
  const busy = state.job && !TERMINAL.has(state.job.status);
  $("generate").disabled = !(state.upload && state.style) || busy;
}

// ---------- generating and watching ----------

$("generate").addEventListener("click", async () => {
  notify("");
  $("generate").disabled = true;
  try {
    const accepted = await api("/generate", {
      method: "POST",
      headers: { "Idempotency-Key": crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) },
      body: { fileKey: state.upload.fileKey, style: state.style, ...(state.connectionId ? { connectionId: state.connectionId } : {}) },
    });
    showJob(accepted.jobId, state.upload.objectUrl);
    setQuota(accepted.remainingQuota);
    update({ jobId: accepted.jobId, status: accepted.status });
    loadHistory();
  } catch (error) {
    fail(error);
    updateGenerate();
  }
});

function showJob(jobId, originalUrl) {
  state.job = { jobId, status: "queued" };
  $("job-card").hidden = false;
  $("job-card").dataset.status = "queued";
  $("original").src = originalUrl;
  $("result").hidden = true;
  $("result").removeAttribute("src");
  $("spinner").hidden = false;
  $("download").hidden = true;
  $("result-caption").textContent = "Working on it…";
  $("job-card").scrollIntoView({ behavior: "smooth", block: "start" });
  schedulePoll();
}

function update(message) {
  if (!state.job || message.jobId !== state.job.jobId) return;
  if (TERMINAL.has(state.job.status) && !TERMINAL.has(message.status)) return; // a late poll
  state.job.status = message.status;
  $("job-card").dataset.status = message.status;
  paintTimeline(message.status);
  if (message.status === "completed" && message.resultUrl) {
    const img = $("result");
    img.onload = () => { $("spinner").hidden = true; img.hidden = false; };
    img.src = message.resultUrl;
    $("download").href = message.resultUrl;
    $("download").hidden = false;
    $("result-caption").textContent = "Your new profile photo";
    loadHistory();
    loadUsage();
  } else if (message.status === "failed") {
    $("spinner").hidden = true;
    const code = (message.error && message.error.code) || "generation_failed";
    $("result-caption").textContent = "Failed";
    notify(FAILURES[code] || (message.error && message.error.message) || FAILURES.generation_failed);
    loadHistory();
    loadUsage();
  } else {
    $("result-caption").textContent = message.status === "processing" ? "Styling your photo…" : "Waiting for a worker…";
  }
  updateGenerate();
  if (!TERMINAL.has(message.status)) schedulePoll();
}

function paintTimeline(status) {
  const order = ["uploaded", "queued", "processing", "completed"];
  const at = status === "failed" ? 3 : Math.max(order.indexOf(status === "pending" ? "queued" : status), 1);
  document.querySelectorAll("#timeline li").forEach((li, i) => {
    li.className = i < at || status === "completed" ? "done" : i === at ? (status === "failed" ? "failed" : "current") : "";
    if (i === 3) li.textContent = status === "failed" ? "Failed" : "Done";
  });
}

// The WebSocket is the fast path; polling covers a dropped socket or a missed message.
function schedulePoll() {
  clearTimeout(state.pollTimer);
  if (!state.job || TERMINAL.has(state.job.status)) return;
  const live = state.socket && state.socket.readyState === WebSocket.OPEN;
  state.pollTimer = setTimeout(poll, live ? 5000 : 1500);
}

async function poll() {
  if (!state.job) return;
  try {
    update(await api(`/jobs/${encodeURIComponent(state.job.jobId)}`));
  } catch (error) {
    if (error.code === "unauthorized") return fail(error);
    schedulePoll();
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws?token=${encodeURIComponent(session.token)}`);
  state.socket = socket;
  socket.onopen = () => {
    state.reconnectDelay = 1000;
    $("live-state").textContent = "● live updates";
    $("live-state").className = "small live";
    socket.send(JSON.stringify({ action: "ping" }));
  };
  socket.onmessage = (e) => {
    let message;
    try { message = JSON.parse(e.data); } catch (_) { return; }
    if (message.type === "pong") state.connectionId = message.connectionId;
    if (message.type === "jobStatus") update(message);
  };
  socket.onclose = () => {
    if (state.socket !== socket) return;
    state.connectionId = null;
    $("live-state").textContent = "○ reconnecting… (polling meanwhile)";
    $("live-state").className = "small muted";
    schedulePoll();
    setTimeout(connect, state.reconnectDelay);
    state.reconnectDelay = Math.min(state.reconnectDelay * 2, 30000);
  };
}

// ---------- quota and history ----------

function setQuota(remaining, usage) {
  const pill = $("quota");
  pill.hidden = false;
  $("quota-count").textContent = remaining;
  pill.classList.toggle("empty", remaining <= 0);
  if (usage) {
    $("quota-label").textContent = remaining > 0 ? `of ${usage.limit} left today` : `left · resets ${resetText(usage.resetsAt)}`;
  }
}

async function loadUsage() {
  try {
    const usage = await api("/usage");
    setQuota(usage.remainingQuota, usage);
  } catch (error) {
    if (error.code === "unauthorized") fail(error);
  }
}

async function loadHistory() {
  let page;
  try { page = await api("/jobs?limit=10"); } catch (error) { return; }
  const list = $("history");
  list.textContent = "";
  if (!page.items.length) {
    list.innerHTML = '<li class="muted">No jobs yet.</li>';
    return;
  }
  for (const job of page.items) {
    const li = document.createElement("li");
    const thumb = job.resultUrl ? document.createElement("img") : document.createElement("div");
    thumb.className = "thumb";
    if (job.resultUrl) { thumb.src = job.resultUrl; thumb.alt = `${job.style} result`; }
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.innerHTML = "<strong></strong><div></div>";
    meta.querySelector("strong").textContent = state.styleNames[job.style] || job.style;
    const when = new Date(job.createdAt).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
    const took = job.processingTime ? ` · ${(job.processingTime / 1000).toFixed(1)} s` : "";
    meta.querySelector("div").textContent = `${when}${took}${job.error ? ` · ${job.error.message}` : ""}`;
    const badge = document.createElement(job.resultUrl ? "a" : "span");
    badge.className = `badge ${job.status}`;
    badge.textContent = job.status;
    if (job.resultUrl) { badge.href = job.resultUrl; badge.download = `profilephoto-${job.jobId}.png`; badge.title = "Download"; }
    li.append(thumb, meta, badge);
    if (job.status === "completed" || job.status === "failed") li.append(deleteButton(job));
    list.appendChild(li);
  }
}

// Your selfie is yours: a finished job can be deleted with its original and its result.
function deleteButton(job) {
  const button = document.createElement("button");
  button.className = "delete";
  button.type = "button";
  button.textContent = "Delete";
  button.title = "Delete this job, its original photo and its result";
  button.addEventListener("click", async () => {
    if (!confirm("Delete this job with its original photo and its result? This cannot be undone.")) return;
    button.disabled = true;
    try {
      await api(`/jobs/${encodeURIComponent(job.jobId)}`, { method: "DELETE" });
      notify("Deleted: the original photo and the result are gone from the server.", "info");
    } catch (error) {
      fail(error);
    }
    loadHistory();
  });
  return button;
}

$("refresh-history").addEventListener("click", loadHistory);

// ---------- start ----------

async function start(token) {
  session.token = token;
  try {
    await api("/usage").then((usage) => setQuota(usage.remainingQuota, usage));
  } catch (error) {
    return fail(error);
  }
  $("token-card").hidden = true;
  notify("");
  await loadStyles().catch(fail);
  loadHistory();
  if (state.socket) { const old = state.socket; state.socket = null; old.close(); }
  connect();
}

const initial = readToken();
if (initial) start(initial); else askForToken();
