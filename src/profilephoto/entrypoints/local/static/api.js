// Talking to the profilephoto API, and saying what went wrong in plain words.

export const TYPES = { jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", webp: "image/webp", heic: "image/heic", heif: "image/heif" };
// The server's MAX_UPLOAD_BYTES, once /about has said it.
export const limits = { maxBytes: 10 * 1024 * 1024 };
// What happened and what to do; whether it used a generation comes from the job (`charged`).
const FAILURES = {
  invalid_image: "We couldn't read that file as a photo. Please try a different picture.",
  content_blocked: "The image model declined this photo. Please try another one.",
  generation_failed: "Generation failed on our side. Please try again.",
  timed_out: "This job took too long and was stopped. Please try again.",
  queue_unavailable: "The job could not be queued. Please try again.",
  upload_not_found: "The uploaded photo has gone missing. Please upload it again.",
  model_unavailable: "The image model is unavailable right now. Please try again later.",
};

// The bearer token every call carries; set once the visitor has given one.
export const session = { token: null };

// ---------- talking to the API ----------

class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super((body && body.error) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.code) || "http_error";
    this.body = body || {};
    this.retryAfter = retryAfter;
  }
}

export async function api(path, { method = "GET", body, headers = {} } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: { Authorization: `Bearer ${session.token}`, ...(body ? { "Content-Type": "application/json" } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (_) {
    throw new ApiError(0, { error: "Can't reach the server. Is profilephoto serve still running?", code: "network" });
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, data, Number(response.headers.get("Retry-After")) || null);
  return data;
}

export function putWithProgress(url, headers, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    for (const [name, value] of Object.entries(headers || {})) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (_) { /* S3 answers XML */ }
      reject(new ApiError(xhr.status, body));
    };
    xhr.onerror = () => reject(new ApiError(0, { error: "The upload was interrupted. Please try again.", code: "network" }));
    xhr.send(file);
  });
}

// ---------- what a file is ----------

// HEIF still-image brands, as the server's domain/image_signature.py lists them.
const HEIF_BRANDS = new Set(["heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs", "mif1", "msf1"]);

// The type the file's first bytes announce, or null: a text file renamed .jpg is not a photo,
// whatever its name says, and is refused before anything is uploaded.
export async function sniff(file) {
  const b = new Uint8Array(await file.slice(0, 16).arrayBuffer());
  const text = (from, to) => String.fromCharCode(...b.slice(from, to));
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  if ([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((v, i) => b[i] === v)) return "image/png";
  if (text(0, 4) === "RIFF" && text(8, 12) === "WEBP") return "image/webp";
  if (text(4, 8) === "ftyp" && HEIF_BRANDS.has(text(8, 12))) return "image/heic";
  return null;
}

// ---------- words for people ----------

function untilText(date) {
  const minutes = Math.max(1, Math.round((date - Date.now()) / 60000));
  const h = Math.floor(minutes / 60), m = minutes % 60;
  return h ? `${h} h ${m} min` : `${m} min`;
}

export function resetText(resetsAt) {
  const at = new Date(resetsAt);
  return `${at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })} (in ${untilText(at)})`;
}

export function explain(error) {
  switch (error.code) {
    case "quota_exceeded": {
      const at = error.retryAfter ? new Date(Date.now() + error.retryAfter * 1000) : null;
      return `You've used all of today's generations. Your quota resets at ${at ? resetText(at) : "midnight"}.`;
    }
    case "capacity_exhausted": {
      const at = error.retryAfter ? new Date(Date.now() + error.retryAfter * 1000) : null;
      return `The service is at capacity for today, so no photo can be generated right now. Nothing was charged. It reopens at ${at ? resetText(at) : "midnight UTC"}.`;
    }
    case "unsupported_type": return "That file type isn't supported. Please choose a JPEG, PNG, WebP or HEIC photo.";
    case "extension_mismatch": return "The file's name doesn't match its type. Please rename it or choose another photo.";
    case "file_too_large": return `That photo is too large. Please choose one under ${Math.round(limits.maxBytes / 1048576)} MB.`;
    case "unauthorized": return "Your token isn't valid (or has expired). Paste a fresh one: profilephoto serve prints one, and profilephoto token YOUR_NAME makes another.";
    case "forbidden": return "That upload link is no longer valid. Please choose the photo again.";
    default: return FAILURES[error.code] || error.message || "Something went wrong. Please try again.";
  }
}

// What happened, what to do, and whether it used one of today's generations.
export function failureText(error) {
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
