// Reviewer shortcuts: a single key named in an element's aria-keyshortcuts activates it.
// Never while a field takes typing, never with Ctrl, Alt or Cmd. A decision that needs words
// (a rejection's reason, a question) puts the cursor in its box; its button then sends it.
(function () {
  "use strict";

  var CHOICES = ["checkbox", "radio", "button", "submit", "reset"];

  function typing(target) {
    if (!(target instanceof Element)) {
      return false;
    }
    if (target.closest("textarea, select, [contenteditable]")) {
      return true;
    }
    return target instanceof HTMLInputElement && CHOICES.indexOf(target.type) === -1;
  }

  function shortcut(key) {
    var named = document.querySelectorAll("[aria-keyshortcuts]");
    for (var i = 0; i < named.length; i += 1) {
      var keys = named[i].getAttribute("aria-keyshortcuts").toLowerCase().split(/\s+/);
      if (keys.indexOf(key) !== -1) {
        return named[i];
      }
    }
    return null;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey || typing(event.target)) {
      return;
    }
    var target = shortcut(event.key.toLowerCase());
    if (!target) {
      return;
    }
    event.preventDefault();
    // Even a reason filled in already is read once more: the key never sends a rejection by itself.
    var box = target.form ? target.form.querySelector("textarea") : null;
    if (box) {
      box.focus();
      return;
    }
    target.click();
  });
})();
