// The advisor console: one page over the console's JSON endpoints and its WebSocket.
//
// Rules this file keeps, because an advisor's screen shows what strangers wrote:
// - every piece of data reaches the page through textContent / text nodes, never
//   an HTML parser or an attribute that could run code;
// - every request is same-origin with credentials and the X-Hotline-Console
//   header (the server refuses cookie-authenticated writes without it);
// - the server's `detail` is what an error says;
// - the queue is live: the WebSocket pushes it, reconnects with backoff, and a
//   reconnect re-reads what may have been missed. Nothing needs a reload.
"use strict";

(() => {
  const API = "/api/v1/console";
  const MAX_REPLY = 4096;
  const PING_MS = 10000;
  const MAX_BACKOFF_MS = 30000;
  const TITLE = "Hotline console";
  const PRIORITY_RANK = { urgent: 0, high: 1, normal: 2 };
  const PRIORITY_LABEL = { urgent: "URGENT", high: "High", normal: "Normal" };
  const AUTHOR_LABEL = { person: "Person", bot: "Bot", advisor: "Advisor" };
  const LANGUAGE_ORDER = ["ru", "uk", "be", "en", "de"];

  const $ = (id) => document.getElementById(id);

  const state = {
    loggedIn: false,
    me: null,
    queue: null,
    queueAt: 0,
    open: null,          // id of the chat shown
    openLanguage: null,  // its language (for canned responses)
    loading: false,      // the open chat's transcript is being fetched
    buffered: [],        // live messages for the open chat that came while loading
    messages: new Map(), // id -> Msg of the open chat
    unread: new Set(),   // held tickets with messages not seen
    drafts: new Map(),   // ticket id -> unsent reply of a chat not shown
    outcomes: null,
    canned: new Map(),   // language -> [canned]
    socket: null,
    retry: 0,
    reconnectTimer: null,
    pingTimer: null,
    flashTimer: null,
    flashOn: false,
    urgent: 0,
  };

  // ---- HTTP ------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message, code) {
      super(message);
      this.status = status;
      this.code = code || null;
    }
  }

  function describe(detail, status) {
    if (typeof detail === "string" && detail) return detail;
    if (Array.isArray(detail)) {
      return detail.map((item) => {
        if (item && typeof item === "object") {
          const where = item.path || (Array.isArray(item.loc) ? item.loc.join(".") : "");
          return (where ? where + ": " : "") + String(item.msg || "invalid");
        }
        return String(item);
      }).join("; ");
    }
    if (status === 0) return "The server cannot be reached. Check the connection.";
    return "The request failed (HTTP " + status + ").";
  }

  async function api(method, path, body) {
    const headers = { "X-Hotline-Console": "1", "Accept": "application/json" };
    const init = { method, headers, credentials: "same-origin", cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(API + path, init);
    } catch (_) {
      throw new ApiError(0, describe(null, 0), "network");
    }
    const raw = response.status === 204 ? "" : await response.text();
    let data = null;
    if (raw) {
      try { data = JSON.parse(raw); } catch (_) { data = null; }
    }
    if (!response.ok) {
      const detail = data && typeof data === "object" ? data.detail : null;
      throw new ApiError(response.status, describe(detail, response.status),
                         data && typeof data === "object" ? data.code : null);
    }
    return data;
  }

  const ticketPath = (id) => "/tickets/" + encodeURIComponent(id);

  // ---- small DOM helpers (text only) -------------------------------------------

  function el(tag, className, ...children) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    for (const child of children) {
      if (child !== null && child !== undefined && child !== false) node.append(child);
    }
    return node;
  }

  function button(label, onClick, className) {
    const node = el("button", className || "", label);
    node.type = "button";
    node.addEventListener("click", onClick);
    return node;
  }

  function show(node, visible) { node.hidden = !visible; }

  function showError(message) {
    $("error-text").textContent = message;
    show($("error"), true);
  }

  function clearError() { show($("error"), false); $("error-text").textContent = ""; }

  let noticeTimer = null;
  function notice(message) {
    const node = $("notice");
    node.textContent = message;
    show(node, true);
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => show(node, false), 8000);
  }

  function failed(error) {
    if (error instanceof ApiError && error.status === 401 && state.loggedIn) {
      signedOut("Your session has ended. Sign in again.");
      return;
    }
    showError(error instanceof ApiError ? error.message : "Something went wrong: " + error);
  }

  // Runs an action with its control disabled meanwhile; errors are shown, not thrown.
  async function act(control, fn) {
    clearError();
    if (control) control.disabled = true;
    try {
      return await fn();
    } catch (error) {
      failed(error);
      return undefined;
    } finally {
      if (control) control.disabled = false;
      applyRoom();  // the queue, not the click, decides whether claiming is possible
    }
  }

  function clock(iso) {
    const at = new Date(iso);
    if (Number.isNaN(at.getTime())) return "";
    return at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  }

  function duration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    if (s < 60) return s + " s";
    const m = Math.floor(s / 60);
    if (m < 60) return m + " min " + String(s % 60).padStart(2, "0") + " s";
    return Math.floor(m / 60) + " h " + String(m % 60).padStart(2, "0") + " min";
  }

  const isUrgent = (t) => Boolean(t.urgent) || t.priority === "urgent";

  // ---- sign in / out -----------------------------------------------------------

  async function boot() {
    wire();
    try {
      signedIn(await api("GET", "/me"));
    } catch (error) {
      showLogin();
      if (!(error instanceof ApiError && error.status === 401)) failed(error);
    }
    setInterval(tick, 1000);
  }

  function showLogin() {
    show($("app"), false);
    show($("who"), false);
    show($("conn"), false);
    show($("login"), true);
    $("token").focus();
  }

  function signedIn(me) {
    state.loggedIn = true;
    state.me = me;
    clearError();
    show($("login"), false);
    show($("app"), true);
    show($("who"), true);
    $("me-name").textContent = me.name;
    $("me-role").textContent = "(" + me.role + ")";
    fillPresence(me.presence);
    loadOutcomes();
    refreshQueue();
    connect();
  }

  function signedOut(message) {
    state.loggedIn = false;
    state.me = null;
    disconnect();
    closeChat();
    state.queue = null;
    state.unread.clear();
    state.drafts.clear();
    state.canned.clear();
    setUrgent(0);
    $("waiting-list").replaceChildren();
    $("mine-list").replaceChildren();
    showLogin();
    if (message) showError(message);
  }

  async function login(event) {
    event.preventDefault();
    const input = $("token");
    const token = input.value.trim();
    if (!token) { showError("Enter your staff token."); return; }
    await act($("login-submit"), async () => {
      await api("POST", "/session", { token });
      input.value = "";
      signedIn(await api("GET", "/me"));
    });
  }

  async function logout() {
    await act($("logout"), async () => {
      await api("DELETE", "/session");
      signedOut(null);
      notice("Logged out. Your chats went back to the queue.");
    });
  }

  // ---- presence ------------------------------------------------------------------

  function fillPresence(presence) {
    const chosen = new Set(presence ? presence.languages : []);
    for (const box of document.querySelectorAll('#presence-form input[name="lang"]')) {
      if (presence) box.checked = chosen.has(box.value);
    }
    if (presence) $("capacity").value = String(presence.capacity);
    renderPresence(presence);
  }

  function renderPresence(presence) {
    const line = $("presence-state");
    line.classList.toggle("online", Boolean(presence));
    line.textContent = presence
      ? "Online — " + presence.languages.join(", ") + " — up to " + presence.capacity +
        (presence.capacity === 1 ? " chat" : " chats")
      : "Offline — people are not offered to you.";
  }

  async function goOnline(event) {
    event.preventDefault();
    const languages = [...document.querySelectorAll('#presence-form input[name="lang"]:checked')]
      .map((box) => box.value);
    if (languages.length === 0) { showError("Choose at least one language."); return; }
    const capacity = Number.parseInt($("capacity").value, 10);
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 20) {
      showError("Chats at once must be between 1 and 20.");
      return;
    }
    await act($("go-online"), async () => {
      const presence = await api("PUT", "/presence", { languages, capacity });
      state.me.presence = presence;
      renderPresence(presence);
      await refreshQueue();
    });
  }

  async function goOffline() {
    await act($("go-offline"), async () => {
      await api("DELETE", "/presence");
      state.me.presence = null;
      renderPresence(null);
      closeChat();
      await refreshQueue();
    });
  }

  // ---- queue -----------------------------------------------------------------------

  async function refreshQueue() {
    try {
      renderQueue(await api("GET", "/queue"));
    } catch (error) {
      failed(error);
    }
  }

  function byPriorityThenLanguage(a, b) {
    const rank = (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9);
    if (rank !== 0) return rank;
    const lang = LANGUAGE_ORDER.indexOf(a.language) - LANGUAGE_ORDER.indexOf(b.language);
    if (lang !== 0) return lang;
    return (b.waited_seconds || 0) - (a.waited_seconds || 0);
  }

  function ticketSummary(ticket) {
    const priority = el("span", "badge priority-" + ticket.priority,
                        PRIORITY_LABEL[ticket.priority] || String(ticket.priority));
    const language = el("span", "badge lang", String(ticket.language));
    const head = el("div", "ticket-head", priority, " ", language);
    if (ticket.state !== "held") {  // a held chat's wait is over
      const waited = el("span", "waited", duration(ticket.waited_seconds || 0));
      waited.dataset.waited = String(ticket.waited_seconds || 0);
      head.append(" ", waited);
    }
    if (ticket.overdue) head.append(" ", el("span", "badge overdue", "OVERDUE"));
    if (ticket.channel === "web") head.append(" ", el("span", "badge", "web chat"));
    const body = el("div", "ticket-reason", String(ticket.reason || ""));
    const parts = [head, body];
    if (ticket.intent) parts.push(el("div", "ticket-intent", "Topic: " + ticket.intent));
    return parts;
  }

  function renderQueue(queue) {
    if (!queue || !state.loggedIn) return;
    state.queue = queue;
    state.queueAt = Date.now();
    const waiting = [...(queue.waiting || [])].sort(byPriorityThenLanguage);
    const mine = queue.mine || [];
    // Lists are rebuilt on every push: keep keyboard focus on the same ticket's button.
    const focused = document.activeElement && document.activeElement.closest
      ? document.activeElement.closest("#waiting-list li, #mine-list li") : null;
    const refocus = focused ? [focused.parentElement.id, focused.dataset.ticket] : null;

    const list = $("waiting-list");
    list.replaceChildren(...waiting.map((ticket) => {
      const item = el("li", "ticket priority-" + ticket.priority, ...ticketSummary(ticket));
      if (isUrgent(ticket)) item.classList.add("urgent");
      if (ticket.overdue) item.classList.add("is-overdue");
      item.dataset.ticket = ticket.id;
      const take = button("Claim", () => claim(ticket.id, take), "claim");
      take.setAttribute("aria-label", "Claim: " + (PRIORITY_LABEL[ticket.priority] || "") +
                        ", " + ticket.language + ", " + (ticket.reason || ""));
      item.append(take);
      return item;
    }));
    show($("waiting-empty"), waiting.length === 0);
    const total = waitingTotal();
    $("waiting-count").textContent = total ? "(" + total + ")" : "";

    const held = new Set(mine.map((t) => t.id));
    for (const id of [...state.unread]) if (!held.has(id)) state.unread.delete(id);
    $("mine-list").replaceChildren(...mine.map((ticket) => {
      const item = el("li", "ticket mine priority-" + ticket.priority);
      if (isUrgent(ticket)) item.classList.add("urgent");
      if (ticket.id === state.open) item.classList.add("current");
      item.dataset.ticket = ticket.id;
      const open = el("button", "open-chat", ...ticketSummary(ticket));
      open.type = "button";
      open.addEventListener("click", () => openChat(ticket.id));
      if (ticket.id === state.open) open.setAttribute("aria-current", "true");
      if (state.unread.has(ticket.id)) open.append(el("span", "badge unread", "new message"));
      item.append(open);
      return item;
    }));
    show($("mine-empty"), mine.length === 0);

    const online = Boolean(queue.online);
    $("load").textContent = online
      ? queue.open_chats + " of " + queue.capacity + " chats open"
      : "You are offline: go online to take chats.";
    applyRoom();
    if (!online && state.me && state.me.presence) {
      state.me.presence = null;  // the server dropped us (expired, signed off elsewhere)
      renderPresence(null);
    }
    setUrgent(waiting.filter(isUrgent).length);  // also sets the title
    if (refocus) {
      const again = [...$(refocus[0]).children].find((li) => li.dataset.ticket === refocus[1]);
      const target = again ? again.querySelector("button") : $("take-next");
      if (target && !target.disabled) target.focus();
    }
  }

  function hasRoom() {
    const queue = state.queue;
    return Boolean(queue && queue.online && queue.open_chats < queue.capacity);
  }

  function applyRoom() {
    const room = hasRoom();
    $("take-next").disabled = !room;
    for (const node of document.querySelectorAll("#waiting-list button.claim")) node.disabled = !room;
  }

  // Waiting times count up between pushes.
  function tick() {
    if (!state.queue) return;
    const extra = (Date.now() - state.queueAt) / 1000;
    for (const node of document.querySelectorAll("[data-waited]")) {
      node.textContent = duration(Number(node.dataset.waited) + extra);
    }
  }

  // The view lists the first waiting tickets; the server counts them all.
  function waitingTotal() {
    const queue = state.queue;
    if (!queue) return 0;
    return Number.isInteger(queue.waiting_total) ? queue.waiting_total : (queue.waiting || []).length;
  }

  function titleBase() {
    const n = waitingTotal();
    return n ? "(" + n + ") " + TITLE : TITLE;
  }

  function setUrgent(count) {
    state.urgent = count;
    show($("urgent-banner"), count > 0);
    $("urgent-count").textContent =
      count > 1 ? "— " + count + " urgent people waiting" : count === 1 ? "— 1 urgent person waiting" : "";
    document.body.classList.toggle("has-urgent", count > 0);
    if (count > 0 && state.flashTimer === null) {
      state.flashTimer = setInterval(() => {
        state.flashOn = !state.flashOn;
        document.title = state.flashOn ? "‼ URGENT (" + state.urgent + ") — " + TITLE : titleBase();
      }, 1000);
      document.title = "‼ URGENT (" + count + ") — " + TITLE;
      state.flashOn = true;
    } else if (count === 0) {
      if (state.flashTimer !== null) clearInterval(state.flashTimer);
      state.flashTimer = null;
      state.flashOn = false;
      document.title = titleBase();
    }
  }

  async function claim(id, control) {
    await act(control, async () => {
      const ticket = await api("POST", ticketPath(id) + "/claim");
      await refreshQueue();
      await openChat(ticket.id);
    });
  }

  async function takeNext() {
    await act($("take-next"), async () => {
      const ticket = await api("POST", "/tickets/claim-next");
      if (ticket === null) {
        notice("Nobody is waiting in your languages right now.");
        return;
      }
      await refreshQueue();
      await openChat(ticket.id);
    });
  }

  // ---- chat ---------------------------------------------------------------------------

  async function openChat(id) {
    clearError();
    const previous = state.open;
    // A draft stays with its chat: words typed for one person must never go to another.
    if (previous !== id) {
      if (previous) state.drafts.set(previous, $("reply").value);
      $("reply").value = state.drafts.get(id) || "";
      state.drafts.delete(id);
      $("note").value = "";
      updateCounter();
      $("close-form").reset();
      $("transfer-form").reset();
    }
    state.open = id;
    state.loading = true;
    state.buffered = [];
    state.unread.delete(id);
    let data;
    try {
      data = await api("GET", ticketPath(id));
    } catch (error) {
      if (state.open === id) { state.loading = false; closeChat(); }
      failed(error);
      return;
    }
    if (state.open !== id) return;  // another chat was opened meanwhile
    state.loading = false;
    state.messages = new Map();
    const list = $("transcript");
    list.setAttribute("aria-busy", "true");  // read the history once, not message by message
    list.replaceChildren();
    for (const message of data.messages || []) addMessage(message);
    for (const message of state.buffered) addMessage(message);
    state.buffered = [];
    list.removeAttribute("aria-busy");
    renderNotes(data.notes || []);
    renderChatMeta(data.ticket);
    show($("chat-empty"), false);
    show($("chat-body"), true);
    if (state.queue) renderQueue(state.queue);
    state.openLanguage = data.ticket.language;
    loadCanned(data.ticket.language);
    scrollTranscript(true);
    $("reply").focus();
  }

  function renderChatMeta(ticket) {
    const meta = $("chat-meta");
    meta.replaceChildren(...ticketSummary(ticket));
    meta.classList.toggle("urgent", isUrgent(ticket));
    $("chat-h").textContent = "Chat — " + (PRIORITY_LABEL[ticket.priority] || "") + ", " + ticket.language;
  }

  function closeChat(message) {
    if (state.open) state.drafts.delete(state.open);
    state.open = null;
    state.loading = false;
    state.buffered = [];
    state.messages = new Map();
    $("transcript").replaceChildren();
    $("notes").replaceChildren();
    $("reply").value = "";
    updateCounter();
    $("chat-h").textContent = "Chat";
    show($("chat-body"), false);
    show($("chat-empty"), true);
    if (message) notice(message);
    if (state.queue) renderQueue(state.queue);
  }

  // After the advisor ended a chat themselves: the keyboard lands on "Take next".
  function focusNext() {
    const next = $("take-next");
    if (!next.disabled) next.focus();
    else $("chat").focus();
  }

  function messageNode(message) {
    const author = AUTHOR_LABEL[message.author] ? message.author : "bot";
    const item = el("li", "msg msg-" + author);
    item.dataset.id = String(message.id);
    item.dataset.author = author;
    const who = el("span", "msg-author", AUTHOR_LABEL[author]);
    const head = el("div", "msg-head", who, " ", el("time", "msg-time", clock(message.at)));
    if (message.intent && author === "person") head.append(" ", el("span", "msg-intent", message.intent));
    if (message.pending) head.append(" ", el("span", "msg-pending", "sending…"));
    const text = el("p", "msg-text");
    text.textContent = message.text === null || message.text === undefined
      ? "(no text: a photo, sticker or file)" : String(message.text);
    item.append(head, text);
    return item;
  }

  function nearBottom(node) { return node.scrollHeight - node.scrollTop - node.clientHeight < 80; }

  function scrollTranscript(force) {
    const list = $("transcript");
    if (force || nearBottom(list)) list.scrollTop = list.scrollHeight;
  }

  // Adds a message to the open chat once, in time order; replaces its "sending…" copy.
  function addMessage(message) {
    const list = $("transcript");
    const stick = nearBottom(list);
    const id = String(message.id);
    if (!message.pending) {
      for (const [key, known] of state.messages) {
        if (known.pending && (key === id || (message.author === "advisor" && known.text === message.text))) {
          state.messages.delete(key);
          const stale = list.querySelector('li[data-pending="1"][data-id="' + CSS.escape(key) + '"]');
          if (stale) stale.remove();
          break;
        }
      }
    }
    if (state.messages.has(id)) return;
    state.messages.set(id, message);
    const node = messageNode(message);
    if (message.pending) node.dataset.pending = "1";
    const at = Date.parse(message.at);
    let before = null;
    if (!message.pending && !Number.isNaN(at)) {
      for (const other of list.children) {
        const known = state.messages.get(other.dataset.id);
        if (known && !known.pending && Date.parse(known.at) > at) { before = other; break; }
      }
    }
    list.insertBefore(node, before);
    if (stick) scrollTranscript(true);
  }

  function renderNotes(notes) {
    $("notes").replaceChildren(...notes.map(noteNode));
    $("notes-count").textContent = String(notes.length);
  }

  function noteNode(note) {
    const head = el("div", "msg-head", el("span", "msg-author", String(note.author)), " ",
                    el("time", "msg-time", clock(note.at)));
    const text = el("p", "msg-text");
    text.textContent = String(note.text);
    return el("li", "note", head, text);
  }

  function updateCounter() {
    const length = $("reply").value.length;
    const counter = $("reply-count");
    counter.textContent = length + " / " + MAX_REPLY;
    counter.classList.toggle("near", length > MAX_REPLY - 200);
  }

  async function sendReply(event) {
    event.preventDefault();
    const id = state.open;
    const box = $("reply");
    const text = box.value;
    if (!id || state.loading) return;  // not before the chat on screen is the one loaded
    if (!text.trim()) { showError("Write a reply first."); return; }
    if (text.length > MAX_REPLY) { showError("A reply can be at most " + MAX_REPLY + " characters."); return; }
    const before = new Set(state.messages.keys());
    await act($("reply-send"), async () => {
      const sent = await api("POST", ticketPath(id) + "/reply", { text });
      if (state.open !== id) return;
      box.value = "";
      updateCounter();
      const key = sent && sent.id !== undefined ? String(sent.id) : "pending-" + Date.now();
      // The recorded copy may have come over the socket before this answer did.
      const arrived = [...state.messages].some(([k, m]) =>
        !before.has(k) && !m.pending && m.author === "advisor" && m.text === text);
      if (!arrived && !state.messages.has(key)) {
        addMessage({ id: key, at: new Date().toISOString(), author: "advisor", text, pending: true });
      }
      scrollTranscript(true);
      box.focus();
    });
  }

  async function addNote(event) {
    event.preventDefault();
    const id = state.open;
    const box = $("note");
    const text = box.value.trim();
    if (!id) return;
    if (!text) { showError("Write the note first."); return; }
    await act($("note-add"), async () => {
      const note = await api("POST", ticketPath(id) + "/notes", { text });
      if (state.open !== id) return;
      box.value = "";
      $("notes").append(noteNode(note));
      $("notes-count").textContent = String($("notes").children.length);
    });
  }

  async function transfer(event) {
    event.preventDefault();
    const id = state.open;
    if (!id) return;
    const name = $("transfer-advisor").value.trim();
    const language = $("transfer-language").value;
    if (name && language) { showError("Choose an advisor or a language, not both."); return; }
    if (!name && !language) { showError("Name an advisor or choose a language."); return; }
    const body = name ? { to_advisor: name } : { language };
    await act($("transfer"), async () => {
      await api("POST", ticketPath(id) + "/transfer", body);
      closeChat(name ? "Transferred to " + name + "." : "Back in the queue for " + language + ".");
      await refreshQueue();
      focusNext();
    });
  }

  async function handBack() {
    const id = state.open;
    if (!id) return;
    await act($("hand-back"), async () => {
      await api("POST", ticketPath(id) + "/hand-back");
      closeChat("Handed back to the bot. The person was told.");
      await refreshQueue();
      focusNext();
    });
  }

  async function closeTicket(event) {
    event.preventDefault();
    const id = state.open;
    if (!id) return;
    const outcome = $("outcome").value;
    if (!outcome) { showError("Choose an outcome."); $("outcome").focus(); return; }
    const survey = $("survey").checked;
    await act($("close-chat"), async () => {
      await api("POST", ticketPath(id) + "/close", { outcome, survey });
      closeChat("Chat closed (" + outcome.replaceAll("_", " ") + ").");
      await refreshQueue();
      focusNext();
    });
  }

  async function loadOutcomes() {
    if (state.outcomes) return;
    try {
      state.outcomes = await api("GET", "/outcomes");
    } catch (error) {
      failed(error);
      return;
    }
    const select = $("outcome");
    select.replaceChildren(new Option("Choose…", ""),
      ...state.outcomes.map((label) => new Option(String(label).replaceAll("_", " "), String(label))));
  }

  async function loadCanned(language) {
    const select = $("canned");
    select.replaceChildren(new Option("—", ""));
    let items = state.canned.get(language);
    if (!items) {
      try {
        items = await api("GET", "/canned?language=" + encodeURIComponent(language));
      } catch (error) {
        failed(error);
        return;
      }
      state.canned.set(language, items);
    }
    if (!state.open) return;
    select.replaceChildren(new Option(items.length ? "Choose…" : "none for this language", ""),
      ...items.map((item) => new Option(String(item.title), String(item.id))));
  }

  function insertCanned() {
    const chosen = $("canned").value;
    if (!chosen || !state.open) return;
    const shown = state.canned.get(state.openLanguage) || [];
    const item = shown.find((c) => String(c.id) === chosen);
    if (!item) return;
    const box = $("reply");
    const start = box.selectionStart ?? box.value.length;
    const end = box.selectionEnd ?? box.value.length;
    box.setRangeText(String(item.text), start, end, "end");
    updateCounter();
    box.focus();
  }

  // ---- live updates ---------------------------------------------------------------

  function setConn(kind, text) {
    const node = $("conn");
    node.className = "conn conn-" + kind;
    node.textContent = text;
    show(node, true);
  }

  function connect() {
    if (!state.loggedIn || state.socket) return;
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + API + "/ws");
    state.socket = socket;
    setConn("wait", "Connecting…");
    socket.addEventListener("open", () => {
      if (state.socket !== socket) return;
      const reconnected = state.retry > 0;
      state.retry = 0;
      setConn("live", "Live");
      clearInterval(state.pingTimer);
      state.pingTimer = setInterval(() => {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ping" }));
      }, PING_MS);
      if (reconnected && state.open) openChat(state.open);  // messages may have been missed
    });
    socket.addEventListener("message", (event) => {
      if (state.socket !== socket) return;
      let data;
      try { data = JSON.parse(event.data); } catch (_) { return; }
      if (data && typeof data === "object") received(data);
    });
    socket.addEventListener("close", (event) => {
      if (state.socket !== socket) return;
      state.socket = null;
      clearInterval(state.pingTimer);
      if (!state.loggedIn) return;
      if (event.code === 4401) { signedOut("Your session has ended. Sign in again."); return; }
      if (event.code === 4403) { signedOut("This token may not use the console."); return; }
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** state.retry) * (0.5 + Math.random() / 2);
      state.retry += 1;
      setConn("down", "Connection lost — reconnecting in " + Math.ceil(delay / 1000) + " s");
      state.reconnectTimer = setTimeout(connect, delay);
    });
  }

  function disconnect() {
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
    clearInterval(state.pingTimer);
    const socket = state.socket;
    state.socket = null;
    state.retry = 0;
    if (socket) socket.close(1000, "logout");
    show($("conn"), false);
  }

  function received(data) {
    switch (data.type) {
      case "queue":
        renderQueue(data.queue);
        break;
      case "message": {
        const id = String(data.ticket);
        if (id === state.open) {
          if (state.loading) state.buffered.push(data.message);
          else addMessage(data.message);
        } else if (state.queue && (state.queue.mine || []).some((t) => t.id === id)) {
          state.unread.add(id);
          renderQueue(state.queue);
        }
        break;
      }
      case "alert":
        notice("Someone has waited too long: " + (PRIORITY_LABEL[data.priority] || data.priority) +
               ", " + data.language + ".");
        break;
      case "ticket_gone": {
        const id = String(data.ticket);
        state.unread.delete(id);
        if (id === state.open) {
          closeChat("This chat is no longer yours: it was transferred, returned to the queue, " +
                    "or the person erased their data.");
        }
        refreshQueue();
        break;
      }
      case "pong":
        // The server no longer counts us as online (presence expired, signed off elsewhere).
        if (data.online === false && state.me && state.me.presence) {
          state.me.presence = null;
          renderPresence(null);
          refreshQueue();
        }
        break;
      default:
        break;  // anything newer than this page
    }
  }

  // ---- wiring -------------------------------------------------------------------

  function wire() {
    $("login-form").addEventListener("submit", login);
    $("logout").addEventListener("click", logout);
    $("error-dismiss").addEventListener("click", clearError);
    $("presence-form").addEventListener("submit", goOnline);
    $("go-offline").addEventListener("click", goOffline);
    $("take-next").addEventListener("click", takeNext);
    $("reply-form").addEventListener("submit", sendReply);
    $("reply").addEventListener("input", updateCounter);
    $("reply").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        $("reply-form").requestSubmit();
      }
    });
    $("canned-insert").addEventListener("click", insertCanned);
    $("note-form").addEventListener("submit", addNote);
    $("transfer-form").addEventListener("submit", transfer);
    $("close-form").addEventListener("submit", closeTicket);
    $("hand-back").addEventListener("click", handBack);
    window.addEventListener("online", () => { if (state.loggedIn && !state.socket) connect(); });
    updateCounter();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
