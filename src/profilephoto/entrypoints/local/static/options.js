// Style, variants and shape, and whether Generate may be pressed.

import { api } from "./api.js";
import { $, state, TERMINAL } from "./state.js";

export async function loadStyles() {
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

export function updateGenerate() {
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

// One choice per count MAX_VARIANTS allows.
export function paintCountPicker(most) {
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
