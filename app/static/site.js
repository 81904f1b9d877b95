// Every page: the phone menu, the folded table of contents, and the focus on a refused form's
// error summary. Without this script the whole menu and the open contents are shown, and the
// summary is read out as an alert.
(function () {
  "use strict";
  var root = document.documentElement;
  // Loaded in the head, before the header is drawn: the stylesheet folds the menu only on pages
  // whose script runs, so a page without it keeps every link in view.
  root.classList.add("js");
  var PHONE = "(max-width: 40rem)";

  function menu() {
    var button = document.querySelector("[data-menu-toggle]");
    var panel = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!panel) {
      return;
    }
    function show(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    button.addEventListener("click", function () {
      show(button.getAttribute("aria-expanded") !== "true");
    });
    // Escape closes the open menu and puts the focus back on its button.
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        show(false);
        button.focus();
      }
    });
  }

  function contents() {
    var fold = document.querySelector("[data-fold-on-phones]");
    if (fold && window.matchMedia(PHONE).matches) {
      fold.open = false;
    }
  }

  function summary() {
    var found = document.querySelector(".error-summary[tabindex]");
    if (found) {
      found.focus();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    menu();
    contents();
    summary();
  });
})();
