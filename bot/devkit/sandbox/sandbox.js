// The sandbox's Slack client: draws Block Kit from the emulator's state and sends what a
// person does to the emulator, which signs it and posts it to the app as Slack would.
// Every piece of text goes into the page as a text node: nothing from the app or a person
// is ever parsed as HTML.
"use strict";

const S = {
  me: localStorage.getItem("sandbox.me") || "",
  conv: null,       // the open conversation's id, or "home"
  thread: null,     // the open thread's parent ts
  state: null,
  version: "",
  modalKey: "",
  getters: [],      // the open modal's inputs: [{blockId, actionId, get}]
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

// --- talking to the emulator ------------------------------------------------------------

async function call(verb, body) {
  const response = await fetch(`/sandbox/${verb}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ as: S.me, ...body }),
  });
  let answer = {};
  try { answer = await response.json(); } catch (_e) { answer = { error: "no answer" }; }
  if (!response.ok || answer.error) {
    showError(answer.error || `the sandbox answered ${response.status}`);
    return null;
  }
  await refresh(true);
  return answer;
}

async function refresh(force) {
  const since = force ? "" : S.version;
  const params = new URLSearchParams({ as: S.me, since });
  let answer;
  try {
    const response = await fetch(`/sandbox/state?${params}`);
    answer = await response.json();
    if (!response.ok) { showError(answer.error || "the sandbox is unreachable"); return; }
  } catch (_e) { return; }
  if (answer.unchanged) return;
  S.state = answer;
  S.version = answer.version;
  S.me = answer.me.id;
  render();
}

function showError(text) {
  const box = $("error");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => { box.hidden = true; }, 6000);
}

// --- mrkdwn -------------------------------------------------------------------------------

function decode(text) {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

const EMOJI = {
  warning: "⚠️", red_circle: "🔴", large_green_circle: "🟢", large_yellow_circle: "🟡",
  large_orange_circle: "🟠", white_circle: "⚪", label: "🏷️", white_check_mark: "✅",
  speech_balloon: "💬", triangular_flag_on_post: "🚩", telephone_receiver: "📞",
  rotating_light: "🚨", rocket: "🚀", lock: "🔒", chart_with_upwards_trend: "📈",
  calendar: "📅", bar_chart: "📊", tada: "🎉", x: "❌", bell: "🔔", star: "⭐",
};

function emoji(text) {
  return text.replace(/:([a-z0-9_+-]+):/g, (code, name) => EMOJI[name] || code);
}

function appendText(parent, text, plain) {
  if (!text) return;
  if (plain) {
    appendLines(parent, text, (p, line) => p.appendChild(document.createTextNode(emoji(line))));
    return;
  }
  appendLines(parent, text, appendStyled);
}

function appendLines(parent, text, each) {
  text.split("\n").forEach((line, i) => {
    if (i) parent.appendChild(el("br"));
    if (line.startsWith("&gt; ") || line.startsWith("> ")) {
      const quote = el("blockquote");
      each(quote, line.replace(/^(&gt;|>) /, ""));
      parent.appendChild(quote);
    } else each(parent, line);
  });
}

// *bold*, _italic_, ~strike~ may hold <…> tokens (a mention, a date); `code` holds none.
const STYLES = new RegExp([
  "`[^`\\n]+`",
  "(?<![\\w*])\\*(?:<[^<>\\n]*>|[^*\\n<])+\\*(?![\\w*])",
  "(?<![\\w_])_(?:<[^<>\\n]*>|[^_\\n<])+_(?![\\w_])",
  "(?<![\\w~])~(?:<[^<>\\n]*>|[^~\\n<])+~(?![\\w~])",
].join("|"), "g");
const TAGS = { "`": "code", "*": "b", "_": "i", "~": "s" };

function appendStyled(parent, line) {
  let last = 0;
  for (const match of line.matchAll(STYLES)) {
    appendTokens(parent, line.slice(last, match.index));
    const token = match[0];
    const node = el(TAGS[token[0]]);
    if (token[0] === "`") node.textContent = decode(token.slice(1, -1));
    else appendTokens(node, token.slice(1, -1));
    parent.appendChild(node);
    last = match.index + token.length;
  }
  appendTokens(parent, line.slice(last));
}

function appendTokens(parent, text) {
  let last = 0;
  for (const match of text.matchAll(/<([^<>\n]+)>/g)) {
    parent.appendChild(document.createTextNode(emoji(decode(text.slice(last, match.index)))));
    parent.appendChild(special(match[1]));
    last = match.index + match[0].length;
  }
  parent.appendChild(document.createTextNode(emoji(decode(text.slice(last)))));
}

function special(inner) {
  const bar = inner.indexOf("|");
  const target = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? "" : inner.slice(bar + 1);
  const names = (S.state && S.state.names) || {};
  if (target.startsWith("@")) {
    const id = target.slice(1);
    return el("span", { class: "mention", text: "@" + (decode(label) || names[id] || id) });
  }
  if (target.startsWith("#")) return el("span", { class: "mention", text: "#" + decode(label || target.slice(1)) });
  if (target.startsWith("!date^")) return document.createTextNode(slackDate(target, decode(label)));
  if (target.startsWith("!")) return el("span", { class: "mention", text: "@" + decode(target.slice(1).split("^")[0]) });
  const url = decode(target);
  const permalink = /^https:\/\/[\w-]+\.slack\.com\/archives\/([A-Z0-9]+)\/p(\d+)(\d{6})/.exec(url);
  if (permalink) {  // a link to a message: open its conversation there
    const [, channel, seconds, micros] = permalink;
    return el("a", { href: "#", class: "permalink", text: decode(label || target), onclick: (event) => {
      event.preventDefault();
      openMessage(channel, `${seconds}.${micros}`);
    } });
  }
  if (/^(https?:|mailto:)/i.test(url)) {
    return el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: decode(label || target) });
  }
  return document.createTextNode(decode(label || target));
}

function openMessage(channel, ts) {
  if (!S.state.conversations.some((c) => c.id === channel)) { showError("that conversation is not one this person is in"); return; }
  S.conv = channel; S.thread = null;
  render();
  const found = document.querySelector(`#messages .msg[data-ts="${CSS.escape(ts)}"]`);
  if (found) found.scrollIntoView({ block: "center" });
}

// <!date^UNIX^{date_short} {time}|fallback>: the date in UTC, the sandbox's clock zone.
function slackDate(target, fallback) {
  const [, stamp, format] = target.split("^");
  const when = new Date(Number(stamp) * 1000);
  if (Number.isNaN(when.getTime())) return fallback;
  const options = { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" };
  if ((format || "").includes("{time")) Object.assign(options, { hour: "2-digit", minute: "2-digit" });
  return when.toLocaleString("en-GB", options);
}

function textObject(obj, tag) {
  const node = el(tag || "span");
  if (obj) appendText(node, obj.text || "", obj.type === "plain_text");
  return node;
}

function plain(obj) { return obj && obj.text ? obj.text : ""; }

// --- Block Kit ------------------------------------------------------------------------------

// ctx: {view_id} inside a modal or the Home tab, else {channel, ts, ephemeral} of a message;
// ctx.collect: inputs register their values for the modal's state.
function renderBlocks(blocks, ctx) {
  const box = el("div", { class: "blocks" });
  (blocks || []).forEach((block, index) => {
    const node = renderBlock(block, { ...ctx, blockId: block.block_id || `b${index}` });
    if (node) box.appendChild(node);
  });
  return box;
}

function renderBlock(block, ctx) {
  const wrap = (cls, ...children) => el("div", { class: `block ${cls}`, "data-block-id": ctx.blockId }, ...children);
  switch (block.type) {
    case "section": {
      const left = el("div", { class: "section-text" });
      if (block.text) left.appendChild(textObject(block.text, "div"));
      if (block.fields) {
        const grid = el("div", { class: "fields" });
        block.fields.forEach((f) => grid.appendChild(textObject(f, "div")));
        left.appendChild(grid);
      }
      const node = wrap("section", left);
      if (block.accessory) node.appendChild(renderElement(block.accessory, ctx, false));
      return node;
    }
    case "header": return wrap("header", textObject(block.text, "div"));
    case "divider": return el("hr", { class: "divider" });
    case "context": {
      const node = wrap("context");
      (block.elements || []).forEach((e) => {
        node.appendChild(e.type === "image" ? el("img", { src: e.image_url, alt: e.alt_text }) : textObject(e));
      });
      return node;
    }
    case "actions": {
      const node = wrap("actions");
      (block.elements || []).forEach((e) => node.appendChild(renderElement(e, ctx, false)));
      return node;
    }
    case "image":
      return wrap("img-block",
        block.title ? el("div", { class: "img-title", text: plain(block.title) }) : null,
        el("img", { src: block.image_url, alt: block.alt_text }));
    case "input": {
      const node = wrap("input-block", el("label", { class: "input-label", text: plain(block.label) + (block.optional ? " (optional)" : "") }));
      node.appendChild(renderElement(block.element, ctx, !block.dispatch_action));
      if (block.hint) node.appendChild(el("div", { class: "hint", text: plain(block.hint) }));
      node.appendChild(el("div", { class: "field-error", hidden: true }));
      return node;
    }
    case "markdown": { const node = wrap("markdown"); appendText(node, block.text || "", false); return node; }
    case "rich_text": return wrap("rich-text", el("div", { text: richText(block) }));
    default: return wrap("unknown", el("em", { text: `(a ${block.type} block)` }));
  }
}

function richText(block) {
  const parts = [];
  const walk = (node) => {
    if (!node || typeof node !== "object") return;
    if (typeof node.text === "string") parts.push(node.text);
    if (node.type === "user") parts.push("@" + ((S.state.names || {})[node.user_id] || node.user_id));
    (node.elements || []).forEach(walk);
  };
  walk(block);
  return parts.join("");
}

function optionsOf(element) {
  if (element.options) return element.options;
  return (element.option_groups || []).flatMap((g) => g.options || []);
}

function clean(option) { return { text: option.text, value: option.value }; }

// A stateful element in a modal input registers how to read it; elsewhere it dispatches.
function renderElement(element, ctx, collect) {
  const ids = { "data-action-id": element.action_id, "data-block-id": ctx.blockId };
  const register = (get) => {
    if (ctx.collect) ctx.collect.push({ blockId: ctx.blockId, actionId: element.action_id, type: element.type, get });
  };
  const dispatch = (action) => send(ctx, { ...action, action_id: element.action_id, block_id: ctx.blockId });
  switch (element.type) {
    case "button": {
      if (element.url) return el("a", { class: "btn", href: element.url, target: "_blank", rel: "noopener noreferrer", text: plain(element.text), ...ids });
      return el("button", {
        type: "button", class: `btn ${element.style || ""}`, text: plain(element.text), ...ids,
        onclick: () => dispatch({ type: "button", value: element.value || "", text: plain(element.text) }),
      });
    }
    case "static_select":
    case "external_select":
    case "users_select":
    case "conversations_select":
    case "channels_select": {
      const select = el("select", { class: "el", ...ids });
      select.appendChild(el("option", { value: "", text: plain(element.placeholder) || "Choose…" }));
      const choices = selectChoices(element);
      choices.forEach((o, i) => select.appendChild(el("option", { value: String(i), text: plain(o.text) })));
      const initial = element.initial_option || null;
      if (initial) {
        const at = choices.findIndex((o) => o.value === initial.value);
        if (at >= 0) select.value = String(at);
      }
      if (element.type === "external_select") attachSuggestions(select, element, ctx, choices);
      const chosen = () => (select.value === "" ? null : choices[Number(select.value)]);
      const valueOf = () => {
        const option = chosen();
        if (element.type === "users_select") return { type: element.type, selected_user: option ? option.value : null };
        if (element.type === "conversations_select") return { type: element.type, selected_conversation: option ? option.value : null };
        if (element.type === "channels_select") return { type: element.type, selected_channel: option ? option.value : null };
        return { type: element.type, selected_option: option ? clean(option) : null };
      };
      register(valueOf);  // in a modal its value is in the view's state, dispatched or not
      if (!collect) select.addEventListener("change", () => { if (chosen()) dispatch(valueOf()); });
      return select;
    }
    case "multi_static_select":
    case "multi_users_select": {
      const select = el("select", { class: "el", multiple: true, ...ids });
      const choices = selectChoices(element);
      const initial = new Set((element.initial_options || []).map((o) => o.value));
      choices.forEach((o, i) => select.appendChild(el("option", { value: String(i), text: plain(o.text), selected: initial.has(o.value) })));
      const picked = () => Array.from(select.selectedOptions).map((o) => choices[Number(o.value)]);
      register(() => element.type === "multi_users_select"
        ? { type: element.type, selected_users: picked().map((o) => o.value) }
        : { type: element.type, selected_options: picked().map(clean) });
      return select;
    }
    case "overflow": {
      const box = el("span", { class: "overflow" });
      const menu = el("div", { class: "overflow-menu", hidden: true });
      optionsOf(element).forEach((o) => menu.appendChild(el("button", {
        type: "button", text: plain(o.text), "data-value": o.value,
        onclick: () => { menu.hidden = true; dispatch({ type: "overflow", selected_option: clean(o) }); },
      })));
      box.appendChild(el("button", { type: "button", class: "btn", text: "⋯", "aria-label": "More actions", ...ids, onclick: () => { menu.hidden = !menu.hidden; } }));
      box.appendChild(menu);
      return box;
    }
    case "radio_buttons":
    case "checkboxes": {
      const box = el("div", { ...ids });
      const name = `${ctx.blockId}.${element.action_id}`;
      const kind = element.type === "radio_buttons" ? "radio" : "checkbox";
      const initial = new Set([element.initial_option, ...(element.initial_options || [])].filter(Boolean).map((o) => o.value));
      const inputs = optionsOf(element).map((o) => {
        const input = el("input", { type: kind, name, value: o.value, checked: initial.has(o.value) });
        box.appendChild(el("label", { class: "choice" }, input, " ", textObject(o.text)));
        return [input, o];
      });
      const picked = () => inputs.filter(([input]) => input.checked).map(([, o]) => clean(o));
      const valueOf = () => kind === "radio"
        ? { type: element.type, selected_option: picked()[0] || null }
        : { type: element.type, selected_options: picked() };
      if (collect || ctx.collect) register(valueOf);
      if (!collect) box.addEventListener("change", () => dispatch(valueOf()));
      return box;
    }
    case "plain_text_input":
    case "email_text_input":
    case "url_text_input":
    case "number_input": {
      const type = { email_text_input: "email", url_text_input: "url", number_input: "number" }[element.type] || "text";
      const input = element.multiline
        ? el("textarea", { class: "el", ...ids, placeholder: plain(element.placeholder), maxlength: element.max_length })
        : el("input", { class: "el", type, ...ids, placeholder: plain(element.placeholder), maxlength: element.max_length });
      input.value = element.initial_value || "";
      register(() => ({ type: element.type, value: input.value === "" ? null : input.value }));
      return input;
    }
    case "datepicker": {
      const input = el("input", { class: "el", type: "date", ...ids });
      input.value = element.initial_date || "";
      register(() => ({ type: element.type, selected_date: input.value || null }));
      return input;
    }
    case "timepicker": {
      const input = el("input", { class: "el", type: "time", ...ids });
      input.value = element.initial_time || "";
      register(() => ({ type: element.type, selected_time: input.value || null }));
      return input;
    }
    case "image": return el("img", { src: element.image_url, alt: element.alt_text, width: 64 });
    default: return el("em", { text: `(a ${element.type})` });
  }
}

function selectChoices(element) {
  const state = S.state || {};
  if (element.type.includes("users_select")) {
    return Object.entries(state.names || {}).map(([id, name]) => ({ text: { type: "plain_text", text: name }, value: id }));
  }
  if (element.type.includes("conversations_select") || element.type.includes("channels_select")) {
    return (state.conversations || []).map((c) => ({ text: { type: "plain_text", text: c.name }, value: c.id }));
  }
  const choices = optionsOf(element).slice();
  if (element.initial_option && !choices.some((o) => o.value === element.initial_option.value)) choices.push(element.initial_option);
  return choices;
}

// An external select asks the app for options as one types (a block_suggestion).
function attachSuggestions(select, element, ctx, choices) {
  const search = el("input", { class: "el", type: "search", placeholder: "Type to search…", "data-suggest-for": element.action_id });
  let timer = null;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const response = await fetch("/sandbox/suggest", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ as: S.me, view_id: ctx.view_id, action_id: element.action_id, block_id: ctx.blockId, value: search.value }),
      });
      const answer = await response.json();
      if (answer.error) { showError(answer.error); return; }
      choices.length = 0;
      while (select.options.length > 1) select.remove(1);
      (answer.options || []).forEach((o, i) => { choices.push(o); select.appendChild(el("option", { value: String(i), text: plain(o.text) })); });
      if (choices.length) select.value = "0";
    }, 250);
  });
  queueMicrotask(() => select.parentNode && select.parentNode.insertBefore(search, select));
}

async function send(ctx, action) {
  const body = { ...action };
  if (ctx.view_id) {
    body.view_id = ctx.view_id;
    body.state = ctx.collectState ? ctx.collectState() : {};
  } else {
    body.channel = ctx.channel; body.ts = ctx.ts; body.ephemeral = ctx.ephemeral || null;
  }
  await call("act", body);
}

// --- messages -------------------------------------------------------------------------------

function timeOf(ts) {
  const date = new Date(Number(ts) * 1000);
  return date.toISOString().slice(5, 16).replace("T", " ");
}

function renderMessage(message, replies) {
  const names = S.state.names || {};
  const isBot = message.user === "UBOT";
  const who = names[message.user] || message.user || "VoC bot";
  const body = el("div", { class: "msg-body" },
    el("div", { class: "msg-head" }, el("strong", { text: isBot ? "VoC bot" : who }), el("span", { class: "msg-time", text: timeOf(message.ts) }),
      message.ephemeral ? el("span", { class: "eph-label", text: "Only visible to you" }) : null));
  const ctx = { channel: S.conv, ts: message.ts, ephemeral: message.ephemeral || null };
  if (message.blocks && message.blocks.length) body.appendChild(renderBlocks(message.blocks, ctx));
  else body.appendChild(textObject({ type: "mrkdwn", text: message.text }, "div"));
  (message.files || []).forEach((f) => body.appendChild(el("div", { class: "file" },
    el("div", { class: "img-title", text: f.title || "file" }), el("img", { src: f.url, alt: f.title || "file" }))));
  if (replies && replies.length) {
    const label = replies.length === 1 ? "1 reply" : `${replies.length} replies`;
    body.appendChild(el("button", { type: "button", class: "replies", text: label, "data-thread": message.ts,
      onclick: () => { S.thread = message.ts; render(); } }));
  }
  return el("div", { class: `msg${message.ephemeral ? " eph" : ""}`, "data-ts": message.ts },
    el("div", { class: `avatar${isBot ? " bot" : ""}`, "aria-hidden": "true", text: (isBot ? "V" : who[0] || "?").toUpperCase() }), body);
}

function render() {
  const state = S.state;
  if (!state) return;
  renderTop(state);
  renderSidebar(state);
  const convs = state.conversations;
  if (S.conv !== "home" && !convs.some((c) => c.id === S.conv)) { S.conv = convs.length ? convs[0].id : "home"; S.thread = null; }
  const home = S.conv === "home";
  if (home) renderConversation.key = null; else renderHome.key = null;
  $("messages").hidden = home;
  $("composer").hidden = home;
  $("home").hidden = !home;
  if (home) renderHome(state);
  else renderConversation(state);
  renderModal(state);
}

function renderTop(state) {
  const acting = $("acting");
  if (acting.options.length !== state.people.length) {
    acting.textContent = "";
    state.people.forEach((p) => acting.appendChild(el("option", { value: p.id, text: `${p.name} — ${p.role}` })));
  }
  acting.value = state.me.id;
  $("clock-now").textContent = state.clock;
  $("hint").textContent = state.me.hint;
  $("terminal").hidden = !state.admin;
}

function renderSidebar(state) {
  const key = JSON.stringify([S.conv, state.conversations]);
  if (key === renderSidebar.key) return;
  renderSidebar.key = key;
  for (const [list, kind] of [[$("channels"), "channel"], [$("dms"), "dm"]]) {
    list.textContent = "";
    state.conversations.filter((c) => c.kind === kind).forEach((c) => {
      list.appendChild(el("li", {}, el("button", {
        type: "button", class: `conv${S.conv === c.id ? " active" : ""}`, "data-conv": c.id, text: c.name,
        onclick: () => { S.conv = c.id; S.thread = null; S.scrollDown = true; render(); },
      })));
    });
  }
  $("home-tab").className = `conv${S.conv === "home" ? " active" : ""}`;
}

function renderConversation(state) {
  const conv = state.conversations.find((c) => c.id === S.conv);
  $("conv-title").textContent = conv ? conv.name : "";
  $("composer-input").placeholder = conv ? `Message ${conv.name} — or /voc help` : "";
  const all = state.messages[S.conv] || [];
  const key = JSON.stringify([S.conv, S.thread, all, state.names]);
  if (key === renderConversation.key) return;  // unchanged: keep the page as it is
  renderConversation.key = key;
  const top = all.filter((m) => !m.thread_ts || m.thread_ts === m.ts);
  const repliesOf = (ts) => all.filter((m) => m.thread_ts === ts && m.ts !== ts);
  const list = $("messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const listTop = list.scrollTop;
  list.textContent = "";
  if (!top.length) list.appendChild(el("div", { class: "empty", text: "Nothing here yet." }));
  top.forEach((m) => list.appendChild(renderMessage(m, repliesOf(m.ts))));
  const sameConv = renderConversation.conv === S.conv;
  renderConversation.conv = S.conv;
  if (atBottom || S.scrollDown || !sameConv) list.scrollTop = list.scrollHeight;
  else list.scrollTop = listTop;  // a redraw does not move what one is reading
  S.scrollDown = false;
  const pane = $("thread");
  const parent = top.find((m) => m.ts === S.thread);
  pane.hidden = !parent;
  const box = $("thread-messages");
  const threadTop = renderConversation.thread === S.thread ? box.scrollTop : 0;
  renderConversation.thread = S.thread;
  box.textContent = "";
  if (parent) {
    box.appendChild(renderMessage(parent, null));
    repliesOf(parent.ts).forEach((m) => box.appendChild(renderMessage(m, null)));
    box.scrollTop = threadTop;
  }
}

function renderHome(state) {
  const key = JSON.stringify(state.home);
  if (key === renderHome.key) return;
  renderHome.key = key;
  $("conv-title").textContent = "VoC bot · Home";
  const box = $("home");
  box.textContent = "";
  if (!state.home) { box.appendChild(el("div", { class: "empty", text: "Opening the Home tab…" })); return; }
  box.appendChild(renderBlocks(state.home.blocks, { view_id: state.home.id }));
}

// --- modals ---------------------------------------------------------------------------------

function renderModal(state) {
  const view = state.modal;
  const backdrop = $("modal-backdrop");
  const key = view ? `${view.id}:${view.hash}:${state.modal_depth}` : "";
  if (key === S.modalKey) return;  // redrawing would lose what is being typed
  S.modalKey = key;
  backdrop.hidden = !view;
  if (!view) { S.modalView = null; return; }
  // views.update of the open modal keeps what was typed in fields that are still there
  const kept = S.modalView === view.id ? collectState() : {};
  S.modalView = view.id;
  $("modal-title").textContent = plain(view.title);
  $("modal-submit").hidden = !view.submit;
  $("modal-submit").textContent = plain(view.submit) || "Submit";
  $("modal-close").textContent = plain(view.close) || "Cancel";
  S.getters = [];
  const ctx = { view_id: view.id, collect: S.getters, collectState };
  const body = $("modal-body");
  body.textContent = "";
  body.appendChild(renderBlocks(withValues(view.blocks, kept), ctx));
  const first = body.querySelector("input, textarea, select");
  if (first) first.focus();
}

function withValues(blocks, kept) {
  return (blocks || []).map((block) => {
    const element = block.element;
    const value = element && (kept[block.block_id] || {})[element.action_id];
    if (!value) return block;
    const initial = {};
    if ("value" in value && value.value !== null) initial.initial_value = value.value;
    if (value.selected_option) initial.initial_option = value.selected_option;
    if (value.selected_options) initial.initial_options = value.selected_options;
    if (value.selected_date) initial.initial_date = value.selected_date;
    if (value.selected_time) initial.initial_time = value.selected_time;
    return { ...block, element: { ...element, ...initial } };
  });
}

function collectState() {
  const values = {};
  for (const getter of S.getters) {
    (values[getter.blockId] = values[getter.blockId] || {})[getter.actionId] = getter.get();
  }
  return values;
}

function showFieldErrors(errors) {
  const body = $("modal-body");
  body.querySelectorAll(".field-error").forEach((e) => { e.hidden = true; e.textContent = ""; });
  for (const [blockId, message] of Object.entries(errors || {})) {
    const block = Array.from(body.querySelectorAll(".block")).find((b) => b.getAttribute("data-block-id") === blockId);
    const slot = block && block.querySelector(".field-error");
    if (slot) { slot.textContent = message; slot.hidden = false; } else showError(message);
  }
}

// --- wiring ---------------------------------------------------------------------------------

function busy(node, work) {
  return async (...args) => {
    node.classList.add("busy");
    try { await work(...args); } finally { node.classList.remove("busy"); }
  };
}

document.addEventListener("DOMContentLoaded", () => {
  $("acting").addEventListener("change", (event) => {
    S.me = event.target.value;
    localStorage.setItem("sandbox.me", S.me);
    S.conv = null; S.thread = null; S.modalKey = "";
    refresh(true);
  });
  document.querySelectorAll("[data-step]").forEach((button) => button.addEventListener("click",
    busy(document.body, () => call("clock", { step: button.getAttribute("data-step") }))));
  $("digest-post").addEventListener("click", busy(document.body, () => call("digest", {})));
  $("home-tab").addEventListener("click", busy($("home"), async () => {
    S.conv = "home"; S.thread = null; render();
    await call("home", {});
  }));
  $("thread-close").addEventListener("click", () => { S.thread = null; render(); });
  $("composer").addEventListener("submit", busy($("composer"), async (event) => {
    event.preventDefault();
    const input = $("composer-input");
    S.scrollDown = true;
    const answer = await call("command", { channel: S.conv, text: input.value });
    if (answer) input.value = "";
  }));
  $("modal").addEventListener("submit", busy($("modal"), async (event) => {
    event.preventDefault();
    const view = S.state.modal;
    const response = await fetch("/sandbox/submit", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ as: S.me, view_id: view.id, values: collectState() }),
    });
    const answer = await response.json();
    if (answer.error) { showError(answer.error); return; }
    if (answer.errors) { showFieldErrors(answer.errors); return; }
    await refresh(true);
  }));
  const close = () => call("close", {});
  $("modal-close").addEventListener("click", close);
  $("modal-x").addEventListener("click", close);
  document.addEventListener("click", (event) => {  // an open overflow menu closes elsewhere
    document.querySelectorAll(".overflow-menu").forEach((menu) => {
      if (!menu.parentNode.contains(event.target)) menu.hidden = true;
    });
  });
  refresh(true);
  setInterval(() => refresh(false), 1000);
});
