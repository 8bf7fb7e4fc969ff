// The profilephoto page: upload, pick a style, variants and shape, watch the job live, download.
// This module starts it; each concern lives in the module named for it.

import { setQuota } from "./account.js";
import { api, limits, session } from "./api.js";
import { loadHistory } from "./history.js";
import { resumeUnfinished } from "./job.js";
import { connect } from "./live.js";
import { fail, notify } from "./notices.js";
import { loadStyles, paintCountPicker } from "./options.js";
import { $, state } from "./state.js";
import { askForToken, onTokenGiven, readToken } from "./token.js";

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
    limits.maxBytes = about.maxUploadBytes;
    $("max-size").textContent = `${Math.round(limits.maxBytes / 1048576)} MB`;
  }
  paintCountPicker(Math.max(1, Math.min(about.maxVariants || 1, 10)));
}

onTokenGiven(start);
const initial = readToken();
if (initial) start(initial); else askForToken();
