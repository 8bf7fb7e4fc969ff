// The history of past jobs, page by page, each finished one deletable.

import { api, explain, failureText } from "./api.js";
import { hideJob } from "./job.js";
import { forgetPhotosOf } from "./photos.js";
import { aiLabel } from "./results.js";
import { $, state, TERMINAL } from "./state.js";

const HISTORY_PAGE = 10;

// The first page replaces the list; "Show older jobs" appends the next one.
export async function loadHistory(more = false) {
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
export function refreshRow(message) {
  const row = document.querySelector(`#history li[data-job-id="${CSS.escape(message.jobId)}"]`);
  if (!row) return;
  const badge = row.querySelector(".badge");
  badge.className = `badge ${message.status}`;
  badge.textContent = message.status;
}

export function historyNotice(text) {
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

$("refresh-history").addEventListener("click", () => { historyNotice(""); loadHistory(); });
$("more-history").addEventListener("click", () => loadHistory(true));
