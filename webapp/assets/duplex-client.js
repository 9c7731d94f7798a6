/**
 * duplex-client.js: a client for Duplex's `/live` endpoint. One WebSocket carries many
 * channels as JSON text frames; a dropped connection comes back by itself and every channel
 * resumes where it stopped. A plain ES module: no dependencies, no build step.
 *
 *   connect(url?, options?) -> client
 *     url       default "live" beside the page (ws: or wss: by the page's scheme); relative or absolute
 *     options   backoff {initialMs: 500, maxMs: 15000}, stableMs 5000 (open this long resets the
 *               backoff), queueLimit 100 (publications held while disconnected), WebSocket (for tests)
 *   client.subscribe(channel, onPub, {since, onSubscribed, onError, onUnsubscribed}) -> sub
 *     onPub(pub)          each publication once, in seq order; the history first
 *     onSubscribed(info)  {channel, epoch, seq, recovered, history} on every (re)subscribe, before its
 *                         history reaches onPub. recovered === false: a new stream, drop what you show
 *     onError(err)        err.code, err.message; an error answering the subscribe ends the subscription
 *     onUnsubscribed()    the server ended it (a channel closed); subscribe again to come back
 *     sub.position        {seq, epoch} of the last publication delivered, or null; sub.unsubscribe()
 *   client.publish(channel, data) -> Promise<{seq}>; rejects with an Error carrying code and message
 *   client.on("state", fn) -> off      fn({state, attempt?, delay?, code?, reason?})
 *   client.on("error", fn) -> off      errors that concern no subscription or publication
 *   client.state                       "connecting" | "open" | "reconnecting" | "closed"
 *   client.close()                     for good: no reconnect, queued publications rejected
 *
 * Example:
 *   import { connect } from "./assets/duplex-client.js";
 *   const client = connect();
 *   client.on("state", ({ state }) => { badge.textContent = state; });
 *   client.subscribe("news", (pub) => {
 *     const item = document.createElement("li");
 *     item.textContent = pub.data.title;        // wire text: textContent, never innerHTML
 *     list.append(item);
 *   }, { onSubscribed: (info) => { if (info.recovered === false) list.replaceChildren(); } });
 *   client.publish("comments:video42", { text: "hello" })
 *     .then(({ seq }) => console.log("published as", seq), (err) => console.warn(err.code, err.message));
 */

const OPEN = 1; // WebSocket.OPEN, without needing the global (tests inject their own class)

export function connect(url, options = {}) {
  return new LiveClient(url, options);
}

class LiveClient {
  #url; #WebSocket; #initialMs; #maxMs; #stableMs; #queueLimit;
  #state = "connecting";
  #socket = null;
  #attempt = 0;            // reconnects since the connection last stayed open stableMs
  #retryTimer = null;
  #stableTimer = null;
  #nextId = 1;
  #subs = new Map();       // channel -> Subscription
  #acks = new Map();       // id -> {resolve, reject}: publications sent, waiting for their answer
  #queue = [];             // [{text, id, resolve, reject}]: publications waiting for a connection
  #ours = new Map();       // channel -> unsubscribes we sent, not yet answered (not the server's own)
  #listeners = { state: new Set(), error: new Set() };

  constructor(url, options) {
    this.#url = socketUrl(url);
    this.#WebSocket = options.WebSocket || globalThis.WebSocket;
    this.#initialMs = options.backoff?.initialMs ?? 500;
    this.#maxMs = options.backoff?.maxMs ?? 15000;
    this.#stableMs = options.stableMs ?? 5000;
    this.#queueLimit = options.queueLimit ?? 100;
    this.#open();
  }

  get state() { return this.#state; }

  on(event, fn) {
    const set = this.#listeners[event];
    if (!set) throw new Error("unknown event: " + event + " (state or error)");
    set.add(fn);
    return () => set.delete(fn);
  }

  subscribe(channel, onPub, options = {}) {
    if (typeof channel !== "string" || channel === "") throw new TypeError("channel must be a non-empty string");
    if (typeof onPub !== "function") throw new TypeError("onPub must be a function");
    // One subscription per channel: its position and its since would be ambiguous with two.
    if (this.#subs.has(channel)) throw new Error("already subscribed to " + channel);
    const sub = new Subscription(channel, onPub, options);
    this.#subs.set(channel, sub);
    if (this.#state === "open") this.#send(sub.request());
    return {
      channel,
      get position() { return sub.position && { ...sub.position }; },
      unsubscribe: () => this.#unsubscribe(sub),
    };
  }

  publish(channel, data) {
    return new Promise((resolve, reject) => {
      if (this.#state === "closed") return reject(liveError({ code: "closed", message: "the client is closed" }));
      const id = "c-" + this.#nextId++;
      const text = JSON.stringify({ type: "publish", channel, data, id }); // throws (rejects) on a cycle
      const entry = { text, id, resolve, reject };
      if (this.#state === "open") return this.#sendPublication(entry);
      // Bounded: a page that keeps publishing into a dead connection must hear so, not grow.
      if (this.#queue.length >= this.#queueLimit) {
        return reject(liveError({ code: "limit", message: "too many publications waiting for a connection", id }));
      }
      this.#queue.push(entry);
    });
  }

  close() {
    if (this.#state === "closed") return;
    const socket = this.#socket;
    this.#socket = null; // its close event is no drop to recover from
    if (socket) socket.close(1000, "client closed");
    this.#finish(1000, "closed by the client");
  }

  #open() {
    this.#retryTimer = null;
    let socket;
    try {
      socket = new this.#WebSocket(this.#url);
    } catch (e) {
      return this.#finish(0, String(e && e.message || e)); // a bad URL does not get better by retrying
    }
    this.#socket = socket;
    socket.onopen = () => { if (socket === this.#socket) this.#opened(); };
    socket.onmessage = (event) => { if (socket === this.#socket) this.#receive(event.data); };
    socket.onclose = (event) => { if (socket === this.#socket) this.#dropped(event); };
    if (this.#state !== "connecting") this.#setState("connecting", { attempt: this.#attempt });
  }

  #opened() {
    // Resubscribe and flush before telling the app, so that whatever it sends on "open" follows.
    for (const sub of this.#subs.values()) this.#send(sub.request());
    const queued = this.#queue;
    this.#queue = [];
    this.#setState("open");
    for (const entry of queued) this.#sendPublication(entry);
    // The backoff starts again only once a connection proves itself: a server that accepts and
    // drops at once must not be hammered at the initial delay.
    this.#stableTimer = setTimeout(() => { this.#attempt = 0; }, this.#stableMs);
  }

  #dropped(event) {
    this.#socket = null;
    clearTimeout(this.#stableTimer);
    this.#ours.clear();
    for (const sub of this.#subs.values()) sub.idle();
    // Sent but not answered: it may or may not have been published. Rejecting is honest;
    // sending it again could publish it twice.
    this.#rejectAll(this.#acks.values(), "disconnected", "the connection dropped before the publication was answered");
    this.#acks.clear();
    // 1008 is the server's policy refusing us (origin, forbidden): retrying would not change it.
    if (event.code === 1008) return this.#finish(1008, event.reason || "refused by the server's policy");
    // 1013: overloaded; start further along the curve so that everyone does not return at once.
    if (event.code === 1013) this.#attempt = Math.max(this.#attempt, 3);
    const ceiling = Math.min(this.#maxMs, this.#initialMs * 2 ** this.#attempt);
    const delay = Math.round(Math.random() * ceiling); // full jitter: spreads a crowd dropped together
    this.#attempt++;
    this.#retryTimer = setTimeout(() => this.#open(), delay);
    this.#setState("reconnecting", { attempt: this.#attempt, delay, code: event.code, reason: event.reason });
  }

  #finish(code, reason) {
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#stableTimer);
    this.#socket = null;
    this.#rejectAll(this.#acks.values(), "closed", "the client closed before the publication was answered");
    this.#rejectAll(this.#queue, "closed", "the client closed before the publication was sent");
    this.#acks.clear();
    this.#queue = [];
    this.#setState("closed", { code, reason });
  }

  #receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return this.#emit("error", liveError({ code: "invalid", message: "the server sent a frame that is not JSON" }));
    }
    if (message === null || typeof message !== "object") return;
    const sub = this.#subs.get(message.channel);
    switch (message.type) {
      case "pub": return sub && sub.pub(message);
      case "subscribed": return sub && sub.subscribed(message);
      case "unsubscribed": return this.#unsubscribed(message.channel, sub);
      case "ack": {
        const waiting = this.#acks.get(message.id);
        if (waiting) { this.#acks.delete(message.id); waiting.resolve({ seq: message.seq }); }
        return;
      }
      case "error": return this.#error(message, sub);
      default: return; // a newer server may say more; ignoring it is safe
    }
  }

  #error(message, sub) {
    const err = liveError(message);
    const waiting = message.id !== undefined && this.#acks.get(message.id);
    if (waiting) {
      this.#acks.delete(message.id);
      return waiting.reject(err);
    }
    if (!sub) return this.#emit("error", err);
    // The answer to our subscribe: the server holds no subscription, so neither do we.
    if (sub.state === "subscribing") this.#forget(sub);
    if (typeof sub.options.onError === "function") safely(sub.options.onError, err);
    else this.#emit("error", err);
  }

  #unsubscribed(channel, sub) {
    const pending = this.#ours.get(channel);
    if (pending) { // the answer to one of ours
      if (pending > 1) this.#ours.set(channel, pending - 1); else this.#ours.delete(channel);
      return;
    }
    if (!sub) return;
    this.#forget(sub);
    safely(sub.options.onUnsubscribed, { channel });
  }

  #unsubscribe(sub) {
    if (this.#subs.get(sub.channel) !== sub) return;
    this.#forget(sub);
    if (this.#state !== "open") return; // the next connection simply does not subscribe it
    this.#ours.set(sub.channel, (this.#ours.get(sub.channel) || 0) + 1);
    this.#send({ type: "unsubscribe", channel: sub.channel });
  }

  #forget(sub) {
    this.#subs.delete(sub.channel);
    sub.ended = true;
  }

  #sendPublication(entry) {
    this.#acks.set(entry.id, entry);
    this.#socket.send(entry.text);
  }

  #send(message) {
    this.#socket.send(JSON.stringify(message));
  }

  #rejectAll(entries, code, text) {
    for (const entry of entries) entry.reject(liveError({ code, message: text, id: entry.id }));
  }

  #setState(state, detail = {}) {
    this.#state = state;
    this.#emit("state", { state, ...detail });
  }

  #emit(event, value) {
    for (const fn of [...this.#listeners[event]]) safely(fn, value);
  }
}

// One channel's subscription: where it stands, and the publications that arrive before the
// answer to a subscribe (held so that the history, which is older, still comes first).
class Subscription {
  state = "idle";          // idle (no connection) | subscribing | subscribed
  position = null;         // {seq, epoch} of the last publication delivered
  ended = false;
  #early = [];

  constructor(channel, onPub, options) {
    this.channel = channel;
    this.onPub = onPub;
    this.options = options;
    this.since = options.since || null; // the app's starting point, until the first answer
  }

  request() {
    this.state = "subscribing";
    this.#early = [];
    const since = this.position || this.since;
    const message = { type: "subscribe", channel: this.channel };
    if (since) message.since = { seq: since.seq, epoch: since.epoch };
    return message;
  }

  idle() {
    this.state = "idle";
    this.#early = [];
  }

  subscribed(message) {
    const history = Array.isArray(message.history) ? message.history : [];
    // Not recovered, or another epoch: a new stream, so nothing of it counts as seen yet.
    if (message.recovered === false || (this.position && this.position.epoch !== message.epoch)) this.position = null;
    else if (message.recovered === true && !this.position && this.since) this.position = { ...this.since };
    this.since = null;
    this.state = "subscribed";
    safely(this.options.onSubscribed, {
      channel: this.channel, epoch: message.epoch, seq: message.seq, recovered: message.recovered, history,
    });
    for (const pub of history) this.#deliver(pub);
    // The channel's seq at subscribe time is where we stand, even when its history was empty,
    // so that the next resubscribe asks only for what came after it.
    if (Number.isInteger(message.seq) && !(this.position && this.position.seq >= message.seq)) {
      this.position = { seq: message.seq, epoch: message.epoch };
    }
    const early = this.#early;
    this.#early = [];
    for (const pub of early) this.#deliver(pub);
  }

  pub(message) {
    if (this.state === "subscribing") this.#early.push(message);
    else if (this.state === "subscribed") this.#deliver(message);
  }

  #deliver(pub) {
    if (this.ended) return;
    const seen = this.position;
    // Around a resubscribe the history and the live stream overlap: each seq is delivered once.
    if (seen && pub.epoch === seen.epoch && Number.isInteger(pub.seq) && pub.seq <= seen.seq) return;
    if (Number.isInteger(pub.seq)) this.position = { seq: pub.seq, epoch: pub.epoch };
    safely(this.onPub, pub);
  }
}

function liveError(message) {
  const err = new Error(message.message || message.code || "error");
  err.code = message.code;
  if (message.id !== undefined) err.id = message.id;
  if (message.channel !== undefined) err.channel = message.channel;
  return err;
}

// An app callback that throws must not stop the frames after it; the error still reaches the console.
function safely(fn, ...args) {
  if (typeof fn !== "function") return;
  try {
    fn(...args);
  } catch (e) {
    if (typeof reportError === "function") reportError(e); else setTimeout(() => { throw e; });
  }
}

// Like Duplex.wsUrl in duplex.js: from the page's own location, never a fixed host.
function socketUrl(url = "live") {
  const base = typeof location !== "undefined" ? location.href : undefined;
  const resolved = new URL(url, base);
  if (resolved.protocol === "http:") resolved.protocol = "ws:";
  else if (resolved.protocol === "https:") resolved.protocol = "wss:";
  return resolved.href;
}
