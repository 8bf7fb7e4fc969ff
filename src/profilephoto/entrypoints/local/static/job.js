// The job card: Generate, then the job's steps, its end and its cancel button.

import { loadUsage, setQuota } from "./account.js";
import { api, explain, failureText } from "./api.js";
import { loadHistory, refreshRow } from "./history.js";
import { poll, schedulePoll } from "./live.js";
import { announce, fail, generateNotice, jobReason, notify } from "./notices.js";
import { updateGenerate } from "./options.js";
import { clearUpload, paintMore } from "./photos.js";
import { paintVariants, showLikeness, showVariant } from "./results.js";
import { $, state, TERMINAL } from "./state.js";
import { askForToken } from "./token.js";

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

export function hideJob() {
  clearTimeout(state.pollTimer);
  state.job = null;
  $("job-card").hidden = true;
  $("result").removeAttribute("src");
  $("download").removeAttribute("href");
  $("download").hidden = true;
  $("variants").textContent = "";
  updateGenerate();
}

export function update(message) {
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
// After a reload, the newest job that has not finished is watched again.
export function resumeUnfinished(page) {
  const running = page && page.items.find((job) => !TERMINAL.has(job.status));
  if (!running || state.job) return;
  showJob(running.jobId, null, { status: running.status, aspectRatio: running.aspectRatio || "1:1" });
  update(running);
}
