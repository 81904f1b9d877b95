// Article editor: "Insert" buttons put a file's Markdown where the cursor is in the body, and a new
// article's address is suggested from its title. Without this script the buttons stay hidden and
// the Markdown is shown to copy; an empty address is made from the title when the article is saved.
(function () {
  "use strict";
  var body = document.getElementById("body");
  if (!body) {
    return;
  }
  // Before anyone has put the cursor in the body, a file goes at its end, not before its first word.
  var placed = false;
  body.addEventListener("focus", function () {
    placed = true;
  });

  // Line breaks that make the inserted line a paragraph of its own (a blank line on each side):
  // only an image alone in its paragraph becomes a figure with its caption.
  function breaks(newlines) {
    return "\n\n".slice(Math.min(newlines, 2));
  }

  function trailing(text) {
    return text.length - text.replace(/\n+$/, "").length;
  }

  function leading(text) {
    return text.length - text.replace(/^\n+/, "").length;
  }

  document.querySelectorAll("[data-insert]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var start = placed ? body.selectionStart : body.value.length;
      var end = placed ? body.selectionEnd : start;
      var before = body.value.slice(0, start);
      var after = body.value.slice(end);
      var text =
        (before === "" ? "" : breaks(trailing(before))) +
        button.getAttribute("data-insert") +
        breaks(leading(after));
      body.setRangeText(text, start, end, "end");
      body.focus();
      body.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });

  // The same rule as app/core/text.py slugify, so the suggestion is what the server would make.
  function slugify(text) {
    return text
      .replace(/[\p{P}\p{Z}\p{S}]/gu, " ")
      .normalize("NFKD")
      .replace(/[^\x00-\x7f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 120);
  }

  var title = document.getElementById("title");
  var slug = document.getElementById("slug");
  // Only an address nobody chose yet follows the title: a published address must not move by itself.
  if (!title || !slug || slug.value !== "") {
    return;
  }
  var suggested = "";
  title.addEventListener("input", function () {
    if (slug.value !== suggested) {
      return;
    }
    suggested = slugify(title.value);
    slug.value = suggested;
  });
})();
