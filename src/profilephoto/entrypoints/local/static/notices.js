// Telling the visitor what happened: the page's notices and the screen reader's voice.

import { loadUsage } from "./account.js";
import { explain } from "./api.js";
import { $ } from "./state.js";
import { askForToken } from "./token.js";

export function notify(text, kind = "error") {
  const box = $("notice");
  box.textContent = text;
  box.className = `notice ${kind === "info" ? "info" : ""}`;
  box.hidden = !text;
}

// A problem with Generate is said beside the button, where the visitor looks.
export function generateNotice(text) {
  $("generate-notice").textContent = text;
  $("generate-notice").hidden = !text;
}

// Why the job shown ended as it did, in its own card (the page scrolls there).
export function jobReason(text, kind = "error") {
  const box = $("job-reason");
  box.textContent = text;
  box.className = `notice ${kind === "info" ? "info" : ""}`;
  box.hidden = !text;
}

// Screen readers hear what changed without the focus moving.
export function announce(text) {
  $("announce").textContent = "";
  setTimeout(() => { $("announce").textContent = text; }, 50);
}

export function fail(error) {
  notify(explain(error));
  if (error.code === "unauthorized") askForToken();
  if (error.code === "quota_exceeded") loadUsage();
}
