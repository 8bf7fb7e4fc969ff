// The sign-in card: the bearer token from the address or pasted, kept in localStorage.

import { $ } from "./state.js";

const TOKEN_KEY = "profilephoto.token";

export function readToken() {
  const match = location.hash.match(/token=([^&]+)/);
  if (match) {
    localStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    // The token should not linger in the address bar, history or screenshots.
    history.replaceState(null, "", location.pathname + location.search);
  }
  return localStorage.getItem(TOKEN_KEY);
}

export function askForToken() {
  $("token-card").hidden = false;
  $("token-input").focus();
}

// A token pasted into the card is kept, then handed to `start`.
export function onTokenGiven(start) {
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const value = $("token-input").value.trim().replace(/^Bearer\s+/i, "");
    if (!value) return;
    localStorage.setItem(TOKEN_KEY, value);
    $("token-input").value = "";
    start(value);
  });
}
