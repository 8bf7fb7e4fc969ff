// Keeping the job shown up to date: the live socket, and polling behind it.

import { api, session } from "./api.js";
import { update } from "./job.js";
import { fail } from "./notices.js";
import { $, state, TERMINAL } from "./state.js";

// The WebSocket is the fast path; polling covers a dropped socket or a missed message.
export function schedulePoll() {
  clearTimeout(state.pollTimer);
  if (!state.job || TERMINAL.has(state.job.status)) return;
  const live = state.socket && state.socket.readyState === WebSocket.OPEN;
  state.pollTimer = setTimeout(poll, live ? 5000 : 1500);
}

export async function poll() {
  if (!state.job) return;
  try {
    update(await api(`/jobs/${encodeURIComponent(state.job.jobId)}`));
  } catch (error) {
    if (error.code === "unauthorized") return fail(error);
    schedulePoll();
  }
}

export function connect() {
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
