// What the page holds between events, and the shorthand for reaching its elements.

export const $ = (id) => document.getElementById(id);
export const TERMINAL = new Set(["completed", "failed", "canceled"]);

export const state = {
  upload: null, // {fileKey, objectUrl}; objectUrl is null when the browser cannot show the type
  more: [], // [{fileKey, name}]: the other photos of the person, sent after the main one
  sentWith: new Map(), // jobId -> the keys it was made from: deleting the job deletes them
  style: null,
  styleNames: {},
  count: 1,
  aspectRatio: "1:1",
  remaining: null, // today's remaining quota, as last reported
  job: null, // {jobId, status, seen}: seen holds the steps the page saw it go through
  likeness: null, // {urls, metadata} of the job shown: its results' likeness badges
  socket: null,
  connectionId: null,
  pollTimer: null,
  reconnectDelay: 1000,
  historyToken: null, // nextToken of the last history page shown
};
