/*! FeedbackHub in-product capture widget: plain JavaScript, no build step, no dependency.
 *
 * Embed once per page, with the product's publishable key:
 *   <script src="https://HUB/api/capture/widget.js" data-key="pk_..." data-identity="TOKEN" data-feature="exports" async></script>
 *
 * data-identity is made by YOUR server for the signed-in user, with the key's signing secret (never in the browser):
 *   payload   = base64url(JSON {"user": "<user id>", "account": "<the customer's CRM id>", "exp": <unix seconds>})
 *   signature = base64url(HMAC-SHA256(secret, payload))      (base64url without "=" padding; HMAC over payload as sent)
 *   token     = payload + "." + signature
 * A forged, expired or other key's token is refused (the widget shows the hub's reason); without one the capture is
 * anonymous or refused, as the key is set up in the hub.
 *
 * API (window.FeedbackHub), each returning a Promise or the element it drew:
 *   feedbackLink(el, {feature})          "Feedback on this feature?" link, opening a text box in place
 *   askThumbs({feature, task, el})       "Did this work as expected?" yes/no (counted per feature), then "what went wrong?"
 *   searchFoundNothing(query, {feature}) a search that found nothing (counted per query; nothing shown)
 *   cancellation(reason, {feature})      a cancellation reason, from your own flow
 *   cancellationForm(el, {reasons, feature, onDone})   or this form: a reason to pick, and words
 *   errorPage(el, {feature})             "What were you trying to do?" on an error page
 *   identify(token)                      a new identity token (single-page apps, after sign-in)
 *   wire(root)                           wire data attributes added later
 * Data attributes, wired on load: data-fh-feedback="feature", data-fh-thumbs="feature" (data-fh-task="..."),
 *   data-fh-error, data-fh-cancel="reason 1|reason 2", data-fh-search-empty="the query".
 * Events on document: "feedbackhub:sent" and "feedbackhub:error" (detail: {kind, message}).
 */
(function () {
  "use strict";
  if (window.FeedbackHub && window.FeedbackHub.version) return;
  var script = document.currentScript || document.querySelector('script[data-key][src*="widget.js"]');
  if (!script) return;
  var key = script.getAttribute("data-key") || "";
  var identity = script.getAttribute("data-identity") || "";
  var defaultFeature = script.getAttribute("data-feature") || "";
  var endpoint = new URL("/api/capture/?key=" + encodeURIComponent(key), script.src).href;
  var MAX_TEXT = 2000;
  var counter = 0;
  var searched = {};

  function uid() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function emit(name, detail) {
    try { document.dispatchEvent(new CustomEvent("feedbackhub:" + name, { detail: detail })); } catch (e) { /* old browsers */ }
  }

  function reason(status, data) {
    if (data && data.detail) return data.detail;
    if (status === 400 && data) {
      for (var field in data) if (data[field] && data[field][0]) return data[field][0];
    }
    return "Could not send your feedback (error " + status + ").";
  }

  // One capture to the hub. The page is sent without its query string or fragment (they may hold personal data).
  function send(body) {
    body.page = location.origin + location.pathname;
    body.capture_id = body.capture_id || uid();
    if (!body.feature && defaultFeature) body.feature = defaultFeature;
    if (identity) body.identity = identity;
    return fetch(endpoint, {
      method: "POST", mode: "cors", credentials: "omit",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) { emit("sent", { kind: body.kind }); return data; }
        var error = new Error(reason(response.status, data));
        error.status = response.status;
        throw error;
      });
    }, function () {
      var error = new Error("Could not reach the feedback service; please try again later.");
      error.status = 0;
      throw error;
    }).catch(function (error) {
      emit("error", { kind: body.kind, message: error.message });
      throw error;
    });
  }

  var CSS = ".fhw{font:inherit;font-size:.875rem;line-height:1.4;color:inherit}" +
    ".fhw *{box-sizing:border-box}" +
    ".fhw-link{background:none;border:0;padding:0;margin:0;font:inherit;color:inherit;opacity:.8;text-decoration:underline;cursor:pointer}" +
    ".fhw-link:hover{opacity:1}" +
    ".fhw button:focus-visible,.fhw textarea:focus-visible,.fhw input:focus-visible{outline:2px solid #2563eb;outline-offset:2px}" +
    ".fhw-form{display:grid;gap:.4rem;margin:.5rem 0;max-width:28rem}" +
    ".fhw-form label,.fhw-form legend{font-weight:600}.fhw-form p{margin:0}" +
    ".fhw-form textarea{width:100%;font:inherit;padding:.4rem;border:1px solid #9ca3af;border-radius:.375rem;resize:vertical}" +
    ".fhw-row{display:flex;gap:.5rem;align-items:center;flex-wrap:wrap}" +
    ".fhw-btn{font:inherit;padding:.3rem .8rem;border-radius:.375rem;border:1px solid #9ca3af;background:#fff;color:#111;cursor:pointer}" +
    ".fhw-btn[disabled]{opacity:.6;cursor:default}" +
    ".fhw-primary{background:#1d4ed8;border-color:#1d4ed8;color:#fff}" +
    ".fhw-hint{font-size:.75rem;opacity:.7}" +
    ".fhw-error{color:#b91c1c}" +
    ".fhw-dock{position:fixed;right:1rem;bottom:1rem;z-index:2147483000;background:#fff;color:#111;border:1px solid #d1d5db;" +
    "border-radius:.5rem;padding:.6rem .8rem;box-shadow:0 2px 8px rgba(0,0,0,.12);max-width:22rem}" +
    ".fhw-form fieldset{border:0;padding:0;margin:0;display:grid;gap:.2rem}";

  function style() {
    if (document.getElementById("fhw-style")) return;
    var el = document.createElement("style");
    el.id = "fhw-style";
    el.textContent = CSS;
    document.head.appendChild(el);
  }

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    for (var name in attrs || {}) {
      if (name === "text") el.textContent = attrs[name];
      else if (name.slice(0, 2) === "on") el.addEventListener(name.slice(2), attrs[name]);
      else el.setAttribute(name, attrs[name]);
    }
    (children || []).forEach(function (child) { if (child) el.appendChild(child); });
    return el;
  }

  function elementOf(el) {
    return typeof el === "string" ? document.querySelector(el) : el;
  }

  // A text box that sends one capture: label, textarea, Send (Enter) and Cancel (Escape); errors said in place.
  // Its capture id is made once: Send again after a failure is the same capture (the hub updates, never duplicates).
  function textForm(opts) {
    var id = "fhw-" + (++counter);
    var captureId = uid();
    var status = h("p", { role: "status", "aria-live": "polite", "class": "fhw-hint" });
    var error = h("p", { role: "alert", "class": "fhw-error", hidden: "" });
    var area = h("textarea", { id: id, rows: "3", maxlength: String(MAX_TEXT), placeholder: opts.placeholder || "" });
    var sendButton = h("button", { type: "submit", "class": "fhw-btn fhw-primary", text: "Send" });
    var extra = opts.fields || null;
    var form = h("form", { "class": "fhw fhw-form", novalidate: "" }, [
      extra,
      h("label", { "for": id, text: opts.label }),
      area,
      h("div", { "class": "fhw-row" }, [
        sendButton,
        opts.onCancel ? h("button", { type: "button", "class": "fhw-btn", text: "Cancel", onclick: opts.onCancel }) : null,
        h("span", { "class": "fhw-hint", text: "Enter to send, Shift+Enter for a new line" })
      ]),
      error, status
    ]);
    function submit(event) {
      if (event) event.preventDefault();
      var text = (opts.text ? opts.text(area.value) : area.value).trim();
      if (!text) { error.hidden = false; error.textContent = "Please write a few words first."; area.focus(); return; }
      sendButton.disabled = true;
      error.hidden = true;
      status.textContent = "Sending…";
      send({ kind: opts.kind, text: text.slice(0, MAX_TEXT), feature: opts.feature || "", task: opts.task || "", capture_id: captureId }).then(function () {
        var thanks = h("p", { "class": "fhw fhw-hint", role: "status", tabindex: "-1", text: opts.thanks || "Thank you: your feedback was sent to the product team." });
        form.replaceWith(thanks);
        thanks.focus();
        if (opts.onDone) opts.onDone(text);
      }, function (failure) {
        sendButton.disabled = false;
        status.textContent = "";
        error.hidden = false;
        error.textContent = "Not sent: " + failure.message;
      });
    }
    form.addEventListener("submit", submit);
    area.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) submit(event);
      if (event.key === "Escape" && opts.onCancel) opts.onCancel();
    });
    form.focusFirst = function () { (form.querySelector("input") || area).focus(); };
    return form;
  }

  function feedbackLink(el, opts) {
    style();
    el = elementOf(el);
    opts = opts || {};
    var feature = opts.feature || el.getAttribute("data-fh-feedback") || defaultFeature;
    var link = h("button", { type: "button", "class": "fhw fhw-link", "aria-expanded": "false", text: opts.label || "Feedback on this feature?" });
    var form = null;
    function close() {
      if (form) { form.remove(); form = null; }
      link.setAttribute("aria-expanded", "false");
      link.focus();
    }
    link.addEventListener("click", function () {
      if (form) return close();
      form = textForm({
        kind: "feature", feature: feature, onCancel: close,
        label: opts.question || "What works, what doesn't, what's missing?",
        onDone: function () { form = null; link.setAttribute("aria-expanded", "false"); }
      });
      link.setAttribute("aria-expanded", "true");
      link.insertAdjacentElement("afterend", form);
      form.focusFirst();
    });
    el.appendChild(link);
    return link;
  }

  function dock() {
    var box = h("div", { "class": "fhw fhw-dock", role: "region", "aria-label": "Feedback" });
    var dismiss = h("button", { type: "button", "class": "fhw-link", "aria-label": "Dismiss", text: "×", style: "float:right;margin-left:.5rem", onclick: function () { box.remove(); } });
    box.appendChild(dismiss);
    document.body.appendChild(box);
    return box;
  }

  function askThumbs(opts) {
    style();
    opts = opts || {};
    var feature = opts.feature || defaultFeature;
    var host = opts.el ? elementOf(opts.el) : dock();
    var question = h("span", { text: opts.question || "Did this work as expected?" });
    var box = h("div", { "class": "fhw fhw-row", role: "group", "aria-label": opts.question || "Did this work as expected?" });
    var note = h("span", { "class": "fhw-hint", role: "status", "aria-live": "polite" });
    function vote(up) {
      return function () {
        yes.disabled = no.disabled = true;
        (up ? yes : no).setAttribute("aria-pressed", "true");
        send({ kind: up ? "thumbs_up" : "thumbs_down", feature: feature, task: opts.task || "" }).then(function () {
          note.textContent = "Thanks!";
          if (!up) {
            var form = textForm({ kind: "feature", feature: feature, task: opts.task, label: "What went wrong? (optional)" });
            box.insertAdjacentElement("afterend", form);
            form.focusFirst();
          }
        }, function (failure) { note.textContent = "Not sent: " + failure.message; yes.disabled = no.disabled = false; });
      };
    }
    var yes = h("button", { type: "button", "class": "fhw-btn", "aria-pressed": "false", "aria-label": "Yes, it worked", text: "Yes", onclick: vote(true) });
    var no = h("button", { type: "button", "class": "fhw-btn", "aria-pressed": "false", "aria-label": "No, it did not", text: "No", onclick: vote(false) });
    [question, yes, no, note].forEach(function (child) { box.appendChild(child); });
    host.appendChild(box);
    return box;
  }

  function searchFoundNothing(query, opts) {
    query = String(query || "").trim();
    if (!query || searched[query.toLowerCase()]) return Promise.resolve(null);
    searched[query.toLowerCase()] = true;
    return send({ kind: "zero_results", query: query.slice(0, 200), feature: (opts && opts.feature) || "" });
  }

  function cancellation(why, opts) {
    return send({ kind: "cancellation", text: String(why || "").slice(0, MAX_TEXT), feature: (opts && opts.feature) || "" });
  }

  function cancellationForm(el, opts) {
    style();
    el = elementOf(el);
    opts = opts || {};
    var reasons = opts.reasons || ["Too expensive", "Missing a feature we need", "Switching to another product", "Not using it enough"];
    var name = "fhw-reason-" + (++counter);
    var fields = h("fieldset", {}, [h("legend", { text: opts.question || "Why are you cancelling?" })].concat(reasons.map(function (text) {
      return h("label", { style: "font-weight:normal" }, [h("input", { type: "radio", name: name, value: text }), document.createTextNode(" " + text)]);
    })));
    var form = textForm({
      kind: "cancellation", feature: opts.feature, fields: fields, label: "Anything else you want us to know?",
      thanks: "Thank you: this helps us improve.", onDone: opts.onDone,
      text: function (words) {
        var picked = fields.querySelector("input:checked");
        return [picked ? picked.value : "", words.trim()].filter(Boolean).join(": ");
      }
    });
    el.appendChild(form);
    return form;
  }

  function errorPage(el, opts) {
    style();
    el = elementOf(el);
    opts = opts || {};
    var form = textForm({
      kind: "error", feature: opts.feature || el.getAttribute("data-fh-error") || "",
      label: opts.question || "What were you trying to do?",
      placeholder: "e.g. export last month's invoices"
    });
    el.appendChild(form);
    return form;
  }

  function wire(root) {
    root = root || document;
    function each(selector, fn) {
      Array.prototype.forEach.call(root.querySelectorAll(selector), function (el) {
        if (el.hasAttribute("data-fh-wired")) return;
        el.setAttribute("data-fh-wired", "");
        fn(el);
      });
    }
    each("[data-fh-feedback]", function (el) { feedbackLink(el, {}); });
    each("[data-fh-thumbs]", function (el) { askThumbs({ el: el, feature: el.getAttribute("data-fh-thumbs"), task: el.getAttribute("data-fh-task") || "" }); });
    each("[data-fh-error]", function (el) { errorPage(el, {}); });
    each("[data-fh-cancel]", function (el) {
      var list = el.getAttribute("data-fh-cancel");
      cancellationForm(el, list ? { reasons: list.split("|") } : {});
    });
    each("[data-fh-search-empty]", function (el) { searchFoundNothing(el.getAttribute("data-fh-search-empty")).catch(function () {}); });
  }

  window.FeedbackHub = {
    version: "1",
    feedbackLink: feedbackLink,
    askThumbs: askThumbs,
    searchFoundNothing: searchFoundNothing,
    cancellation: cancellation,
    cancellationForm: cancellationForm,
    errorPage: errorPage,
    identify: function (token) { identity = token || ""; },
    wire: wire,
    send: send
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { wire(); });
  else wire();
})();
