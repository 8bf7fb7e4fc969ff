// A finished job's results: the large one, every variant, their likeness and AI labels.

import { api } from "./api.js";
import { $, state } from "./state.js";

export function showVariant(url) {
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

export async function showLikeness(jobId) {
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
export function aiLabel() {
  const tag = document.createElement("span");
  tag.className = "ai-label";
  tag.textContent = "Made with AI";
  return tag;
}

// Every variant with a download of its own; choosing one shows it large.
export function paintVariants(urls) {
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
