// The photo picker: the main photo (drop or choose, checked, uploaded) and up to two more.

import { api, explain, limits, putWithProgress, sniff, TYPES } from "./api.js";
import { fail, generateNotice, notify } from "./notices.js";
import { updateGenerate } from "./options.js";
import { $, state } from "./state.js";

const PREVIEWABLE = new Set(["image/jpeg", "image/png", "image/webp"]); // Chromium shows no HEIC
const MAX_MORE = 2; // fileKeys takes the main photo and two more of the same person

function typeOf(file) {
  const ext = (file.name.split(".").pop() || "").toLowerCase();
  return { ext, type: file.type || TYPES[ext] || "" };
}

// A refused or failed choice leaves nothing selected: Generate must never re-run an old photo.
export function clearUpload() {
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
  if (file.size > limits.maxBytes) return explain({ code: "file_too_large" });
  if (file.size === 0) return "That file is empty. Please choose a photo.";
  if (!(await sniff(file))) return "That file isn't a photo we can use: its contents are not a JPEG, PNG, WebP or HEIC image, whatever its name says.";
  return null;
}

export function paintMore() {
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
export function forgetPhotosOf(jobId) {
  const keys = state.sentWith.get(jobId) || [];
  state.sentWith.delete(jobId);
  const mainGone = Boolean(state.upload && keys.includes(state.upload.fileKey));
  state.more = state.more.filter((photo) => !keys.includes(photo.fileKey));
  if (mainGone) clearUpload(); else paintMore();
  return mainGone;
}
