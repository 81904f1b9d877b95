// Article editor: "Insert" buttons put a file's Markdown, and "Insert citation" a reference's
// citation, where the cursor is in the body; the live preview follows what is typed; a new
// article's address is suggested from its title. Without this script the buttons and the live
// preview stay hidden, the Markdown and citations are shown to copy, the Preview button shows the
// typed article, and an empty address is made from the title when the article is saved.
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

  // A citation goes where the cursor is, inside the sentence: no line breaks around it.
  document.querySelectorAll("[data-cite]").forEach(function (button) {
    var key = document.getElementById(button.getAttribute("data-cite"));
    var hint = document.getElementById(button.getAttribute("aria-describedby"));
    function follow() {
      var value = key.value.trim();
      hint.querySelector("code").textContent = "[^" + value + "]";
      hint.hidden = value === "";
      button.hidden = value === "";
    }
    follow();
    key.addEventListener("input", follow);
    button.addEventListener("click", function () {
      var start = placed ? body.selectionStart : body.value.length;
      var end = placed ? body.selectionEnd : start;
      body.setRangeText("[^" + key.value.trim() + "]", start, end, "end");
      body.focus();
      body.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });

  // The live preview: the form as typed, posted (with its CSRF token) a moment after typing
  // pauses; only the answer to the newest post is shown.
  var live = document.getElementById("live-preview");
  var form = document.getElementById("editor-form");
  if (live && form && window.fetch) {
    var reader = document.getElementById("live-preview-reader");
    var output = live.querySelector(".live-preview__output");
    var status = live.querySelector(".live-preview__status");
    var timer = 0;
    var pending = null;
    var refresh = function () {
      var data = new URLSearchParams(new FormData(form));
      data.set("viewer", reader.value);
      if (pending) {
        pending.abort();
      }
      var current = (pending = new AbortController());
      live.setAttribute("aria-busy", "true");
      fetch(live.getAttribute("data-url"), {
        method: "POST",
        body: data,
        credentials: "same-origin",
        redirect: "manual",
        signal: current.signal,
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("preview " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          if (pending !== current) {
            return;
          }
          // Sanitised by the server's Markdown pipeline; innerHTML runs no scripts.
          output.innerHTML = html;
          status.textContent = "";
        })
        .catch(function (error) {
          if (error.name !== "AbortError") {
            status.textContent = status.getAttribute("data-failed");
          }
        })
        .then(function () {
          if (pending === current) {
            pending = null;
            live.removeAttribute("aria-busy");
          }
        });
    };
    var later = function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 350);
    };
    live.hidden = false;
    live.closest(".editor").classList.add("editor--live");
    // The live preview does what the Preview button does without scripts.
    form.querySelector(".editor__preview-controls").hidden = true;
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    reader.addEventListener("change", refresh);
    refresh();
  }

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
