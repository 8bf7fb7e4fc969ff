// The visitor's account: today's quota in the header, and deleting all their data.

import { api, explain, resetText } from "./api.js";
import { historyNotice, loadHistory } from "./history.js";
import { hideJob } from "./job.js";
import { announce, fail } from "./notices.js";
import { updateGenerate } from "./options.js";
import { clearUpload } from "./photos.js";
import { $, state } from "./state.js";

export function setQuota(remaining, usage) {
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

export async function loadUsage() {
  try {
    const usage = await api("/usage");
    setQuota(usage.remainingQuota, usage);
  } catch (error) {
    if (error.code === "unauthorized") fail(error);
  }
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
