// The profilephoto page: upload, pick a style, variants and shape, watch the job live, download.
"use strict";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "profilephoto.token";
const TERMINAL = new Set(["completed", "failed", "canceled"]);
const PREVIEWABLE = new Set(["image/jpeg", "image/png", "image/webp"]); // Chromium shows no HEIC

const MAX_MORE = 2; // fileKeys takes the main photo and two more of the same person

const state = {
  upload: null, // {fileKey, objectUrl}; objectUrl is null when the browser cannot show the type
  more: [], // [{fileKey, name}]: the other photos of the person, sent after the main one
  sentWith: new Map(), // jobId -> the keys it was made from: deleting the job deletes them
  style: null,
  styleNames: {},
  count: 1,
  aspectRatio: "1:1",
  remaining: null, // today's remaining quota, as last reported
  job: null, // {jobId, status, seen}: seen holds the steps the page saw it go through
  likeness: null, // {urls, metadata} of the job shown: its results' likeness badges
  socket: null,
  connectionId: null,
  pollTimer: null,
  reconnectDelay: 1000,
  historyToken: null, // nextToken of the last history page shown
};

// ---------- messages ----------

function notify(text, kind = "error") {
  const box = $("notice");
  box.textContent = text;
  box.className = `notice ${kind === "info" ? "info" : ""}`;
  box.hidden = !text;
}

// A problem with Generate is said beside the button, where the visitor looks.
function generateNotice(text) {
  $("generate-notice").textContent = text;
  $("generate-notice").hidden = !text;
}

// Why the job shown ended as it did, in its own card (the page scrolls there).
function jobReason(text, kind = "error") {
  const box = $("job-reason");
  box.textContent = text;
  box.className = `notice ${kind === "info" ? "info" : ""}`;
  box.hidden = !text;
}

// Screen readers hear what changed without the focus moving.
function announce(text) {
  $("announce").textContent = "";
  setTimeout(() => { $("announce").textContent = text; }, 50);
}

// What happened, what to do, and whether it used one of today's generations.
function failureText(error) {
  const code = (error && error.code) || "generation_failed";
  // A photo the check turned away: the server's advice, which already says it cost nothing.
  if (code === "photo_rejected" && error.message) {
    return error.photoIndex > 0 ? `Photo ${error.photoIndex + 1}: ${error.message}` : error.message;
  }
  // The server says what was wrong with the picture (too many pixels, a cut-off file...).
  const own = code === "invalid_image" && error.message;
  const what = own || FAILURES[code] || (error && error.message) || FAILURES.generation_failed;
  if (!error || typeof error.charged !== "boolean") return what;
  return `${what} ${error.charged ? "This used one of today's generations." : "You were not charged for it."}`;
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

// A refused or failed choice leaves nothing selected: Generate must never re-run an old photo.
function clearUpload() {
  state.upload = null;
  $("preview").hidden = true;
  $("preview").removeAttribute("src");
  $("no-preview").hidden = true;
  $("drop-hint").hidden = false;
  $("upload-progress").hidden = true;
  $("file-info").textContent = "";
  generateNotice("");
  paintMore();
  updateGenerate();
}

function setProgress(fraction) {
  const percent = Math.round(fraction * 100);
  $("upload-fill").style.width = `${percent}%`;
  $("upload-progress").setAttribute("aria-valuenow", String(percent));
}

async function choose(file) {
  if (!file) return;
  notify("");
  clearUpload();
  $("file-input").value = ""; // choosing the same file again must fire `change` again
  const why = await refusal(file);
  if (why) return notify(why);
  const { type } = typeOf(file);

  const objectUrl = PREVIEWABLE.has(type) ? URL.createObjectURL(file) : null;
  if (objectUrl) {
    $("preview").src = objectUrl;
    $("preview").hidden = false;
  } else {
    $("no-preview").hidden = false;
  }
  $("drop-hint").hidden = true;

  const bar = $("upload-progress");
  bar.hidden = false;
  bar.classList.remove("done");
  setProgress(0);
  $("file-info").textContent = `Uploading ${file.name} (${(file.size / 1024).toFixed(0)} KB)…`;
  try {
    const ticket = await api("/upload/presigned", { method: "POST", body: { fileName: file.name, contentType: type, fileSize: file.size } });
    await putWithProgress(ticket.uploadUrl, ticket.headers, file, setProgress);
    setProgress(1);
    bar.classList.add("done");
    $("file-info").textContent = `${file.name} uploaded.`;
    state.upload = { fileKey: ticket.fileKey, objectUrl };
    paintMore();
  } catch (error) {
    clearUpload();
    fail(error);
  }
  updateGenerate();
}

const drop = $("drop");
$("file-input").addEventListener("change", (e) => choose(e.target.files[0]));
$("file-input").addEventListener("click", (e) => e.stopPropagation());
drop.addEventListener("click", () => $("file-input").click());
drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("file-input").click(); } });
["dragenter", "dragover"].forEach((name) => drop.addEventListener(name, (e) => { e.preventDefault(); drop.classList.add("over"); }));
["dragleave", "drop"].forEach((name) => drop.addEventListener(name, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
drop.addEventListener("drop", (e) => choose(e.dataTransfer.files[0]));

// ---------- more photos of the same person ----------

// Refusal of a file, in plain words, or null when it may be uploaded.
async function refusal(file) {
  const { type } = typeOf(file);
  if (!Object.values(TYPES).includes(type)) return "That file isn't a photo we can use. Please choose a JPEG, PNG, WebP or HEIC image.";
  if (file.size > MAX_BYTES) return explain({ code: "file_too_large" });
  if (file.size === 0) return "That file is empty. Please choose a photo.";
  if (!(await sniff(file))) return "That file isn't a photo we can use: its contents are not a JPEG, PNG, WebP or HEIC image, whatever its name says.";
  return null;
}

function paintMore() {
  const list = $("more-photos");
  list.textContent = "";
  state.more.forEach((photo, n) => {
    const li = document.createElement("li");
    li.className = photo.fileKey ? "uploaded" : "uploading";
    const name = document.createElement("span");
    name.textContent = photo.fileKey ? photo.name : `${photo.name} (uploading…)`;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "ghost";
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", `Remove ${photo.name}`);
    remove.addEventListener("click", () => { state.more.splice(n, 1); paintMore(); });
    li.append(name, remove);
    list.appendChild(li);
  });
  $("add-more").hidden = state.more.length >= MAX_MORE;
  $("add-more").disabled = !state.upload;
  updateGenerate();
}

async function addMore(files) {
  const chosen = Array.from(files); // before the input is cleared: its FileList is live
  $("more-input").value = "";
  for (const file of chosen.slice(0, MAX_MORE - state.more.length)) {
    const why = await refusal(file);
    if (why) { notify(why); continue; }
    const photo = { fileKey: null, name: file.name };
    state.more.push(photo);
    paintMore();
    try {
      const { type } = typeOf(file);
      const ticket = await api("/upload/presigned", { method: "POST", body: { fileName: file.name, contentType: type, fileSize: file.size } });
      await putWithProgress(ticket.uploadUrl, ticket.headers, file, () => {});
      photo.fileKey = ticket.fileKey;
    } catch (error) {
      state.more = state.more.filter((p) => p !== photo);
      fail(error);
    }
    paintMore();
  }
}

$("add-more").addEventListener("click", () => $("more-input").click());
$("more-input").addEventListener("change", (e) => addMore(e.target.files));

// The photos a deleted job was made from are gone from the server too: unselect them.
function forgetPhotosOf(jobId) {
  const keys = state.sentWith.get(jobId) || [];
  state.sentWith.delete(jobId);
  const mainGone = Boolean(state.upload && keys.includes(state.upload.fileKey));
  state.more = state.more.filter((photo) => !keys.includes(photo.fileKey));
  if (mainGone) clearUpload(); else paintMore();
  return mainGone;
}

// ---------- styles ----------

async function loadStyles() {
  $("styles-placeholder") && ($("styles-placeholder").textContent = "Loading styles…");
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
  const affordable = state.remaining === null || state.count <= state.remaining;
  const uploading = state.more.some((photo) => !photo.fileKey);
  $("generate").disabled = !(state.upload && state.style) || busy || !affordable || uploading;
  $("generate").textContent = state.count > 1 ? `Generate ${state.count} variants` : "Generate profile photo";
  paintCost();
}

// ---------- variants and shape ----------

// What the chosen count costs against what is left today (each variant is one generation).
function paintCost() {
  const note = $("count-cost");
  const left = state.remaining;
  const each = state.count === 1 ? "1 generation" : `${state.count} generations`;
  if (left === null) note.textContent = `Uses ${each}.`;
  else if (state.count <= left) note.textContent = `Uses ${each} of the ${left} you have left today.`;
  else note.textContent = left ? `Only ${left} left today: pick fewer variants.` : "No generations left today.";
  note.classList.toggle("over", left !== null && state.count > left);
}

function selectRatio(ratio) {
  state.aspectRatio = ratio;
  // The preview and the result frame take the shape the model will be asked for.
  const [w, h] = ratio.split(":");
  document.documentElement.style.setProperty("--ratio", `${w} / ${h}`);
}

for (const input of document.querySelectorAll('input[name="aspect"]')) {
  input.addEventListener("change", () => selectRatio(input.value));
}

// ---------- generating and watching ----------

$("generate").addEventListener("click", async () => {
  notify("");
  generateNotice("");
  $("generate").disabled = true;
  const keys = [state.upload.fileKey, ...state.more.map((photo) => photo.fileKey)];
  try {
    const accepted = await api("/generate", {
      method: "POST",
      headers: { "Idempotency-Key": crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) },
      body: {
        ...(keys.length > 1 ? { fileKeys: keys } : { fileKey: keys[0] }),
        style: state.style,
        ...(state.count > 1 ? { count: state.count } : {}),
        ...(state.aspectRatio !== "1:1" ? { aspectRatio: state.aspectRatio } : {}),
        ...(state.connectionId ? { connectionId: state.connectionId } : {}),
      },
    });
    state.sentWith.set(accepted.jobId, keys);
    const missing = state.upload.objectUrl ? "" : "HEIC photo: this browser can't show it, but it was sent as usual";
    showJob(accepted.jobId, state.upload.objectUrl, { aspectRatio: state.aspectRatio, missing });
    $("job-heading").focus({ preventScroll: true });
    setQuota(accepted.remainingQuota);
    update({ jobId: accepted.jobId, status: accepted.status });
    loadHistory();
  } catch (error) {
    if (error.code === "unauthorized") askForToken();
    if (error.code === "quota_exceeded") loadUsage();
    // The photo is not on the server any more (deleted with a job, or expired): unselect it.
    if (error.code === "upload_not_found") { clearUpload(); state.more = []; paintMore(); }
    generateNotice(explain(error));
    $("generate-notice").scrollIntoView({ block: "nearest" });
    updateGenerate();
  }
});

// The job's card: its original (or why it is not shown), in the shape the job was asked for.
function showJob(jobId, originalUrl, { status = "queued", aspectRatio = "1:1", missing = "Original not shown after a reload" } = {}) {
  state.job = { jobId, status, seen: new Set() };
  $("job-card").hidden = false;
  $("job-card").dataset.status = status;
  const [w, h] = aspectRatio.split(":");
  $("job-card").style.setProperty("--ratio", `${w} / ${h}`);
  $("original").hidden = !originalUrl;
  $("original-missing").hidden = Boolean(originalUrl);
  $("original-missing").textContent = missing;
  jobReason("");
  if (originalUrl) $("original").src = originalUrl; else $("original").removeAttribute("src");
  $("result").hidden = true;
  $("ai-label").hidden = true;
  $("result").removeAttribute("src");
  $("spinner").hidden = false;
  $("download").hidden = true;
  $("variants").hidden = true;
  $("variants").textContent = "";
  $("result-likeness").hidden = true;
  state.likeness = null;
  $("cancel").hidden = false;
  $("cancel").disabled = false;
  $("result-caption").textContent = "Working on it…";
  $("job-card").scrollIntoView({ behavior: "smooth", block: "start" });
  schedulePoll();
}

function hideJob() {
  clearTimeout(state.pollTimer);
  state.job = null;
  $("job-card").hidden = true;
  $("result").removeAttribute("src");
  $("download").removeAttribute("href");
  $("download").hidden = true;
  $("variants").textContent = "";
  updateGenerate();
}

function update(message) {
  refreshRow(message);
  if (!state.job || message.jobId !== state.job.jobId) return;
  if (TERMINAL.has(state.job.status) && !TERMINAL.has(message.status)) return; // a late poll
  state.job.status = message.status;
  $("job-card").dataset.status = message.status;
  paintTimeline(message.status);
  $("cancel").hidden = TERMINAL.has(message.status);
  if (message.status === "completed" && message.resultUrl) {
    const urls = message.resultUrls || [message.resultUrl];
    state.likeness = { urls, metadata: message.metadata };
    showVariant(urls[0]);
    paintVariants(urls);
    $("ai-label").hidden = false;
    if (!message.metadata) showLikeness(message.jobId); // a push carries no metadata
    $("result-caption").textContent = urls.length > 1 ? `${urls.length} variants: pick your favourite` : "Your new profile photo";
    announce(urls.length > 1 ? `${urls.length} variants are ready.` : "Your new profile photo is ready.");
    const failed = message.metadata && message.metadata.failedVariants;
    if (failed) jobReason(`${failed} of the variants could not be made; ${failed === 1 ? "its generation was" : "their generations were"} given back.`, "info");
    loadHistory();
    loadUsage();
  } else if (message.status === "canceled") {
    $("spinner").hidden = true;
    $("result-caption").textContent = "Canceled";
    jobReason("Canceled. The generations it reserved are back in today's quota.", "info");
    announce("The job was canceled.");
    loadHistory();
    loadUsage();
  } else if (message.status === "failed") {
    $("spinner").hidden = true;
    const rejected = message.error && message.error.code === "photo_rejected";
    $("result-caption").textContent = rejected ? "This photo can't be used" : "Failed";
    showFailure(message);
    loadHistory();
    loadUsage();
  } else {
    $("result-caption").textContent = message.status === "processing" ? "Styling your photo…" : "Waiting for a worker…";
  }
  updateGenerate();
  if (!TERMINAL.has(message.status)) schedulePoll();
}

// A pushed status carries the error code; the job view also says whether it was charged.
async function showFailure(message) {
  let error = message.error;
  if (!error || typeof error.charged !== "boolean") {
    try { error = (await api(`/jobs/${encodeURIComponent(message.jobId)}`)).error || error; } catch (_) { /* keep what we have */ }
  }
  const text = failureText(error);
  jobReason(text);
  announce(`The job failed. ${text}`);
}

function showVariant(url) {
  const img = $("result");
  img.onload = () => { $("spinner").hidden = true; img.hidden = false; };
  img.src = url;
  $("download").href = url;
  $("download").hidden = false;
  for (const li of document.querySelectorAll("#variants li")) li.classList.toggle("selected", li.dataset.url === url);
  const seen = state.likeness ? state.likeness.urls.indexOf(url) : -1;
  paintLikeness($("result-likeness"), seen >= 0 ? likenessOf(seen) : null);
}

// The likeness check's verdict on result n (docs/api.md §4.8): null when it did not run.
function likenessOf(n) {
  const metadata = state.likeness && state.likeness.metadata;
  const scores = metadata && metadata.likeness;
  if (!Array.isArray(scores) || n >= scores.length) return null;
  const score = scores[n];
  return { score, close: typeof score === "number" && score >= metadata.likenessMin };
}

async function showLikeness(jobId) {
  let view;
  try { view = await api(`/jobs/${encodeURIComponent(jobId)}`); } catch (_) { return; }
  if (!state.likeness || !state.job || state.job.jobId !== jobId) return;
  state.likeness.metadata = view.metadata;
  showVariant($("result").src || state.likeness.urls[0]);
  paintVariants(state.likeness.urls);
}

function paintLikeness(badge, verdict) {
  badge.hidden = !verdict;
  if (!verdict) return;
  badge.className = verdict.close ? "likeness close" : "likeness far";
  badge.textContent = verdict.close ? "Looks like you" : "Not a close match — not charged";
  badge.title = typeof verdict.score === "number" ? `Likeness ${verdict.score.toFixed(2)} of 1` : "No face found in this result";
}

// Every result is marked as made by AI in its file (XMP and C2PA); the page says so beside it.
function aiLabel() {
  const tag = document.createElement("span");
  tag.className = "ai-label";
  tag.textContent = "Made with AI";
  return tag;
}

// Every variant with a download of its own; choosing one shows it large.
function paintVariants(urls) {
  const list = $("variants");
  list.textContent = "";
  list.hidden = urls.length < 2;
  urls.forEach((url, n) => {
    const li = document.createElement("li");
    li.dataset.url = url;
    li.classList.toggle("selected", n === 0);
    const show = document.createElement("button");
    show.type = "button";
    show.className = "variant";
    show.setAttribute("aria-label", `Show variant ${n + 1}`);
    const img = document.createElement("img");
    img.src = url;
    img.alt = `Variant ${n + 1}`;
    show.append(img);
    show.addEventListener("click", () => showVariant(url));
    const link = document.createElement("a");
    link.href = url;
    link.download = `profilephoto-${state.job.jobId}-${n + 1}.png`;
    link.textContent = `Download ${n + 1}`;
    const badge = document.createElement("span");
    paintLikeness(badge, likenessOf(n));
    li.append(show, aiLabel(), badge, link);
    list.appendChild(li);
  });
}

$("cancel").addEventListener("click", async () => {
  if (!state.job) return;
  $("cancel").disabled = true;
  try {
    const answer = await api(`/jobs/${encodeURIComponent(state.job.jobId)}/cancel`, { method: "POST" });
    update({ jobId: answer.jobId, status: answer.status });
  } catch (error) {
    if (error.code === "job_finished") return poll(); // it finished first: show what it became
    if (error.code === "unauthorized") fail(error); else jobReason(explain(error));
    $("cancel").disabled = false;
  }
});

// Only the steps the job went through: one canceled while queued never was processing.
// A job that completed or failed was (a worker ended it); a pushed `processing` says so too.
function paintTimeline(status) {
  const order = ["uploaded", "queued", "processing"];
  const seen = state.job.seen;
  seen.add(status === "pending" ? "queued" : status);
  if (status === "completed" || status === "failed") seen.add("processing");
  const ended = TERMINAL.has(status);
  // Every step before the furthest one seen was gone through, seen or not (a reload).
  const furthest = Math.max(...order.map((s, i) => (seen.has(s) ? i : 1)));
  document.querySelectorAll("#timeline li").forEach((li, i) => {
    if (i === 3) {
      li.textContent = { failed: "Failed", canceled: "Canceled" }[status] || "Done";
      li.className = !ended ? "" : status === "completed" ? "done" : status;
      return;
    }
    li.hidden = ended && i > furthest;
    li.className = !ended && i === furthest ? "current" : i <= furthest ? "done" : "";
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
  state.remaining = remaining;
  updateGenerate();
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

const HISTORY_PAGE = 10;

// The first page replaces the list; "Show older jobs" appends the next one.
async function loadHistory(more = false) {
  let page;
  const query = `limit=${HISTORY_PAGE}${more && state.historyToken ? `&nextToken=${encodeURIComponent(state.historyToken)}` : ""}`;
  try { page = await api(`/jobs?${query}`); } catch (error) { return null; }
  const list = $("history");
  if (!more) list.textContent = "";
  state.historyToken = page.nextToken;
  $("more-history").hidden = !page.nextToken;
  if (!more && !page.items.length) {
    list.innerHTML = '<li class="muted">No jobs yet.</li>';
    return page;
  }
  for (const job of page.items) list.appendChild(historyRow(job));
  return page;
}

function historyRow(job) {
  const li = document.createElement("li");
  li.dataset.jobId = job.jobId;
  const styleName = state.styleNames[job.style] || job.style;
  const when = new Date(job.createdAt).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
  const thumb = job.resultUrl ? document.createElement("img") : document.createElement("div");
  thumb.className = "thumb";
  if (job.resultUrl) { thumb.src = job.resultUrl; thumb.alt = `${styleName} profile photo`; }
  const meta = document.createElement("div");
  meta.className = "meta";
  meta.innerHTML = "<strong></strong><div></div>";
  meta.querySelector("strong").textContent = styleName;
  const took = job.processingTime ? ` · ${(job.processingTime / 1000).toFixed(1)} s` : "";
  const made = job.resultUrls && job.resultUrls.length > 1 ? ` · ${job.resultUrls.length} variants` : "";
  const shape = job.aspectRatio && job.aspectRatio !== "1:1" ? ` · ${job.aspectRatio}` : "";
  const failure = job.error ? ` · ${failureText(job.error)}` : "";
  meta.querySelector("div").textContent = `${when}${took}${made}${shape}${failure}`;
  const badge = document.createElement("span");
  badge.className = `badge ${job.status}`;
  badge.textContent = job.status;
  if (job.aiGenerated) meta.append(aiLabel());
  li.append(thumb, meta, badge);
  if (job.resultUrl) {
    const link = document.createElement("a");
    link.className = "download-link";
    link.href = job.resultUrl;
    link.download = `profilephoto-${job.jobId}.png`;
    link.textContent = job.resultUrls && job.resultUrls.length > 1 ? "Download first" : "Download";
    link.setAttribute("aria-label", `Download the ${styleName} photo from ${when}`);
    li.append(link);
  }
  if (TERMINAL.has(job.status)) li.append(deleteButton(job, `${styleName} job from ${when}`));
  return li;
}

// A live status moves its history row too, so the list never contradicts the result card.
function refreshRow(message) {
  const row = document.querySelector(`#history li[data-job-id="${CSS.escape(message.jobId)}"]`);
  if (!row) return;
  const badge = row.querySelector(".badge");
  badge.className = `badge ${message.status}`;
  badge.textContent = message.status;
}

function historyNotice(text) {
  $("history-notice").textContent = text;
  $("history-notice").hidden = !text;
}

// Your selfie is yours: a finished job can be deleted with its original and its result.
function deleteButton(job, name) {
  const button = document.createElement("button");
  button.className = "delete";
  button.type = "button";
  button.textContent = "Delete";
  button.setAttribute("aria-label", `Delete the ${name}`);
  button.title = "Delete this job, its original photo and its result";
  button.addEventListener("click", async () => {
    if (!confirm("Delete this job with its original photo and its result? This cannot be undone.")) return;
    button.disabled = true;
    try {
      await api(`/jobs/${encodeURIComponent(job.jobId)}`, { method: "DELETE" });
      if (state.job && state.job.jobId === job.jobId) hideJob();
      const unselected = forgetPhotosOf(job.jobId);
      historyNotice(`Deleted: the original photo and the result are gone from the server.${unselected ? " It was the photo you had chosen: choose it again to make another." : ""}`);
    } catch (error) {
      historyNotice(explain(error));
    }
    loadHistory();
  });
  return button;
}

$("delete-me").addEventListener("click", async () => {
  if (!confirm("Delete all your photos, results and jobs from this server? This cannot be undone.")) return;
  const button = $("delete-me");
  button.disabled = true;
  try {
    await api("/me", { method: "DELETE" });
    hideJob();
    state.more = [];
    state.sentWith.clear();
    clearUpload();
    historyNotice("");
    $("account-notice").textContent = "Done: your photos, results and jobs are gone from the server.";
    $("account-notice").hidden = false;
    announce("All your data was deleted.");
  } catch (error) {
    $("account-notice").textContent = explain(error);
    $("account-notice").hidden = false;
  }
  button.disabled = false;
  loadHistory();
  loadUsage();
});

$("refresh-history").addEventListener("click", () => { historyNotice(""); loadHistory(); });
$("more-history").addEventListener("click", () => loadHistory(true));

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
  await loadAbout();
  await loadStyles().catch(fail);
  const page = await loadHistory();
  resumeUnfinished(page);
  if (state.socket) { const old = state.socket; state.socket = null; old.close(); }
  connect();
}

// What this server runs with: its generator (the footer) and its limits (the pickers).
async function loadAbout() {
  let about;
  try { about = await (await fetch("/about")).json(); } catch (_) { return; }
  const offline = about.generator === "offline-stylizer";
  $("model-note").textContent = offline ? "the offline stylizer (no GEMINI_API_KEY set)" : `Gemini (${about.generator})`;
  if (about.maxUploadBytes) {
    MAX_BYTES = about.maxUploadBytes;
    $("max-size").textContent = `${Math.round(MAX_BYTES / 1048576)} MB`;
  }
  paintCountPicker(Math.max(1, Math.min(about.maxVariants || 1, 10)));
}

// One choice per count MAX_VARIANTS allows.
function paintCountPicker(most) {
  const picker = $("count-picker");
  picker.textContent = "";
  state.count = Math.min(state.count, most);
  for (let n = 1; n <= most; n++) {
    const label = document.createElement("label");
    label.innerHTML = '<input type="radio" name="count"><span></span>';
    const input = label.querySelector("input");
    input.value = String(n);
    input.checked = n === state.count;
    label.querySelector("span").textContent = String(n);
    input.addEventListener("change", () => { state.count = n; updateGenerate(); });
    picker.appendChild(label);
  }
  $("count-option").hidden = most < 2;
  updateGenerate();
}

// After a reload, the newest job that has not finished is watched again.
function resumeUnfinished(page) {
  const running = page && page.items.find((job) => !TERMINAL.has(job.status));
  if (!running || state.job) return;
  showJob(running.jobId, null, { status: running.status, aspectRatio: running.aspectRatio || "1:1" });
  update(running);
}

const initial = readToken();
if (initial) start(initial); else askForToken();
