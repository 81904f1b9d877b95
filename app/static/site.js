// Every page: after a refused submission the focus goes to the error summary, so a screen reader
// reads what went wrong first. Without this script the summary is still read out as an alert.
(function () {
  "use strict";

  function summary() {
    var found = document.querySelector(".error-summary[tabindex]");
    if (found) {
      found.focus();
    }
  }

  document.addEventListener("DOMContentLoaded", summary);
})();
