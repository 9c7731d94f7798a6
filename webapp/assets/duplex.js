// Small helpers shared by the pages. Plain browser WebSocket API, no framework.
"use strict";

const Duplex = (() => {
  const STATES = ["CONNECTING", "OPEN", "CLOSING", "CLOSED"];

  // The WebSocket URL comes from the page's own location: ws: or wss: by its scheme, and the
  // application's context path (the folder the page was served from). Never a fixed host.
  function wsUrl(path) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const base = location.pathname.replace(/[^/]*$/, "");
    return scheme + "//" + location.host + base + path.replace(/^\//, "");
  }

  function stateName(socket) {
    return socket ? STATES[socket.readyState] : "CLOSED";
  }

  // Shows a state as a badge: text plus a class for its colour.
  function showState(element, name) {
    element.textContent = name;
    element.className = "state " + name;
  }

  // Appends one line to an event log; text only, never markup.
  function log(list, kind, text) {
    const item = document.createElement("li");
    item.className = kind;
    item.textContent = new Date().toLocaleTimeString() + "  " + kind.padEnd(7) + " " + text;
    list.appendChild(item);
    while (list.childElementCount > 500) list.removeChild(list.firstChild);
    list.scrollTop = list.scrollHeight;
  }

  // Exponential backoff with full jitter: 0.5 s, 1 s, 2 s ... capped at 30 s, each randomised
  // so that a thousand clients dropped at once do not come back at once.
  function backoff(attempt) {
    const cap = Math.min(30000, 500 * Math.pow(2, attempt));
    return Math.round(cap / 2 + Math.random() * cap / 2);
  }

  return { wsUrl, stateName, showState, log, backoff, STATES };
})();
