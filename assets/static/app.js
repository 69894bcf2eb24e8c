// app.js: the little behaviour htmx does not give: CSRF header, focus and
// announcements after a swap, the show/hide password control, and the
// iframe height for the CMS embed. Every form works without it.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // Every htmx request carries the CSRF token in a header as well as in
  // the form, so requests without a form (or a stale one) still pass.
  // Pressing a submit button blurs the field being edited, which fires its
  // inline validation; the swapped message can move the button away from
  // under the pointer before the click lands, and the click is lost. The
  // submit checks every field anyway, so that one inline check is skipped.
  var submitPressedAt = 0;
  document.addEventListener("pointerdown", function (evt) {
    if (evt.target.closest && evt.target.closest("button[type=submit]")) submitPressedAt = Date.now();
  }, true);

  document.addEventListener("htmx:config:request", function (evt) {
    var ctx = evt.detail && evt.detail.ctx;
    if (ctx && ctx.request && /\/validate$/.test(ctx.request.action || "") && Date.now() - submitPressedAt < 1000) {
      evt.preventDefault();
      return;
    }
    var token = csrfToken();
    if (ctx && ctx.request && token) {
      ctx.request.headers["X-CSRF-Token"] = token;
    }
  });

  function announce(text) {
    var region = document.getElementById("live-region");
    if (!region || !text) return;
    region.textContent = "";
    // A fresh text node after a tick makes screen readers announce it again.
    window.setTimeout(function () { region.textContent = text.trim(); }, 50);
  }

  // Content swapped in by htmx: move focus to its heading, or to the first
  // field with a problem after a failed submit, and announce it politely.
  document.addEventListener("htmx:after:process", function (evt) {
    var root = evt.target;
    if (!root || root === document.body || root.nodeType !== 1) return;
    initReveal(root);
    var target = root.matches("[data-autofocus]") ? root : root.querySelector("[data-autofocus]");
    var summary = root.querySelector("[data-testid=error-summary]");
    if (summary) {
      var invalid = root.querySelector("[aria-invalid=true]");
      if (invalid) invalid.focus();
      announce(summary.textContent);
      return;
    }
    if (target) {
      target.focus();
      announce(target.textContent);
      return;
    }
    // An inline-validation fragment: announce its message, keep the focus
    // where the user is.
    var msg = root.querySelector("[data-testid=field-error]");
    if (msg) announce(msg.textContent);
  });

  // Links in the error summary move focus into the field itself.
  document.addEventListener("click", function (evt) {
    var link = evt.target.closest && evt.target.closest("[data-testid=error-summary] a[href^='#']");
    if (!link) return;
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (field) {
      evt.preventDefault();
      field.focus();
    }
  });

  // Show/hide password. It only switches the input's type, so password
  // managers still see a password field with autocomplete="new-password".
  function initReveal(root) {
    var buttons = root.querySelectorAll("button[data-reveal]");
    for (var i = 0; i < buttons.length; i++) {
      var button = buttons[i];
      button.hidden = false;
      var input = document.getElementById(button.getAttribute("data-reveal"));
      // A morphed field comes back as type=password; keep what the user chose.
      if (input && button.getAttribute("aria-pressed") === "true") input.type = "text";
      if (button.dataset.revealReady) continue;
      button.dataset.revealReady = "1";
      button.addEventListener("click", toggleReveal);
    }
  }

  function toggleReveal(evt) {
    var button = evt.currentTarget;
    var input = document.getElementById(button.getAttribute("data-reveal"));
    if (!input) return;
    var show = input.type === "password";
    input.type = show ? "text" : "password";
    button.setAttribute("aria-pressed", show ? "true" : "false");
    button.textContent = show ? button.getAttribute("data-hide-label") : button.getAttribute("data-show-label");
  }

  // Before a form is submitted, hide passwords again so the browser's
  // password manager offers to save them.
  document.addEventListener("submit", function (evt) {
    var buttons = evt.target.querySelectorAll("button[data-reveal][aria-pressed=true]");
    for (var i = 0; i < buttons.length; i++) buttons[i].click();
  }, true);

  // The CMS embed: tell the parent page our height so its iframe fits.
  function postHeight() {
    if (window.parent === window) return;
    window.parent.postMessage({ type: "hafele-reset:height", height: document.documentElement.scrollHeight }, "*");
  }

  function init() {
    initReveal(document);
    // A page that arrived after a plain POST (a failed login, say) puts
    // focus on its message.
    // The component gallery shows every state at once: leave it at the top.
    var first = document.querySelector("[data-gallery]") ? null : document.querySelector("[data-autofocus]");
    if (first) first.focus();
    postHeight();
    if (window.parent !== window && window.ResizeObserver) {
      new ResizeObserver(postHeight).observe(document.body);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
