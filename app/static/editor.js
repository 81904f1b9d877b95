// Article editor: "Insert" buttons put a file's Markdown where the cursor is in the body.
// Without this script the buttons stay hidden and the Markdown is shown to copy.
(function () {
  "use strict";
  var body = document.getElementById("body");
  if (!body) {
    return;
  }
  document.querySelectorAll("[data-insert]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = button.getAttribute("data-insert");
      var start = body.selectionStart;
      var end = body.selectionEnd;
      body.setRangeText(text, start, end, "end");
      body.focus();
      body.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });
})();
