// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  }

  // The safety check asks one question at a time: the next appears only when the answer allows going
  // on; an answer that means "call instead" shows whom to call at once, on this page (no jump away).
  function safetyCheck(form) {
    var questions = Array.prototype.slice.call(form.querySelectorAll("[data-question]"));
    var asked = form.querySelector("[data-asked]");
    var proceed = form.querySelector("[data-safety-continue]");
    questions.forEach(function (question, index) {
      question.addEventListener("change", function (event) {
        if (!event.target.checked) { return; }
        var stops = question.getAttribute("data-stop-value") === event.target.value;
        var box = question.querySelector("[data-stop-box]");
        if (box) { box.hidden = !stops; }
        questions.slice(index + 1).forEach(function (later) {
          if (stops) { later.hidden = true; }
        });
        if (proceed) { proceed.hidden = stops; }
        var next = questions[index + 1];
        if (!stops && next && next.hidden) {
          next.hidden = false;
          if (asked) { asked.value = next.getAttribute("data-question"); }
        }
      });
    });
  }

  // Leaving a page with answers typed and not yet sent asks first.
  function keepAnswers(form) {
    var changed = false;
    form.addEventListener("input", function () { changed = true; });
    form.addEventListener("submit", function () { changed = false; });
    window.addEventListener("beforeunload", function (event) {
      if (changed) { event.preventDefault(); event.returnValue = ""; }
    });
  }

  function previewFiles(input, list) {
    list.textContent = "";
    Array.prototype.forEach.call(input.files, function (file) {
      var item = document.createElement("li");
      if (/^image\/(jpeg|png|webp)$/.test(file.type)) {
        var img = document.createElement("img");
        img.alt = "";
        img.src = URL.createObjectURL(file);
        img.onload = function () { URL.revokeObjectURL(img.src); };
        item.appendChild(img);
      }
      var name = document.createElement("div");
      name.textContent = file.name + " (" + Math.max(1, Math.round(file.size / 1024)) + " KB)";
      item.appendChild(name);
      list.appendChild(item);
    });
  }

  function showResponse(xhr, posted) {
    // A redirect means the report was filed (or the files were added): go where the server sent us.
    // Anything else is the page with its error messages, shown as if the form had been posted normally
    // (the form may post elsewhere, as the status page's reply does: that address only takes a POST), and
    // so is a redirect back to this page, whose one-time message the request has already taken.
    var landed = xhr.responseURL && xhr.responseURL.split("#")[0];
    if (landed && landed !== posted.split("#")[0] && landed !== window.location.href.split("#")[0]) {
      window.location.assign(xhr.responseURL);
      return;
    }
    document.open();
    document.write(xhr.responseText);
    document.close();
  }

  function formDataFor(form, submitter) {
    var data = new FormData(form);
    // Which button was pressed ("Add these files", "Remove", "Send report") is part of the request.
    if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
    return data;
  }

  function uploadWithProgress(form) {
    var progress = form.querySelector("[data-upload-progress]");
    var bar = form.querySelector("[data-upload-bar]");
    form.addEventListener("submit", function (event) {
      if (!window.FormData || !progress) { return; }
      event.preventDefault();
      var xhr = new XMLHttpRequest();
      var posted = new URL(form.action || window.location.href, window.location.href).href;
      xhr.open("POST", posted);
      progress.hidden = false;
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) { return; }
        var percent = Math.round((e.loaded / e.total) * 100);
        bar.style.width = percent + "%";
        progress.setAttribute("aria-valuenow", String(percent));
      });
      xhr.addEventListener("load", function () { showResponse(xhr, posted); });
      xhr.addEventListener("error", function () { form.submit(); });
      xhr.send(formDataFor(form, event.submitter));
    });
  }

  function submitOnce(button) {
    var form = button.form;
    form.addEventListener("submit", function (event) {
      if (event.submitter !== button) { return; }
      // Let this submit go, then block the second click of a double click.
      window.setTimeout(function () { button.disabled = true; }, 0);
    });
  }

  // An email's one-tap answer opens a page holding the answer in a form: a browser sends it at once (a
  // link checker that only fetches the page sends nothing); without JavaScript the resident presses it.
  function autoSubmit(form) {
    var button = form.querySelector("button[type=submit]");
    if (form.requestSubmit) { form.requestSubmit(button); } else { form.submit(); }
  }

  function focusAddedItem() {
    // "Add another item" comes back to …?added=item-2#item-2: the page scrolls there, and the cursor goes
    // into the new item (browsers ignore autofocus when the address has a fragment).
    var added = new URLSearchParams(window.location.search).get("added");
    var box = added && document.getElementById(added);
    var field = box && box.querySelector("input:not([type=hidden]), textarea, select");
    if (!field || document.querySelector("[data-error-summary]")) { return; }
    // After the browser's own scroll to the fragment, which would otherwise take the focus back.
    window.addEventListener("load", function () { window.setTimeout(function () { field.focus(); }, 0); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary();
    focusAddedItem();
    document.querySelectorAll("[data-safety-check]").forEach(safetyCheck);
    document.querySelectorAll("[data-keep-answers]").forEach(keepAnswers);
    document.querySelectorAll("[data-submit-once]").forEach(submitOnce);
    document.querySelectorAll("form[data-autosubmit]").forEach(autoSubmit);
    var input = document.querySelector("input[type=file][multiple]");
    var list = document.querySelector("[data-file-previews]");
    if (input && list) { input.addEventListener("change", function () { previewFiles(input, list); }); }
    document.querySelectorAll("[data-upload-form]").forEach(uploadWithProgress);
  });
})();
