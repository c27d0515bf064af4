// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
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

  function showResponse(xhr) {
    // A redirect means the report was filed: go where the server sent us. Anything else is the page
    // with its error messages, shown as if the form had been posted normally.
    if (xhr.responseURL && xhr.responseURL !== window.location.href) {
      window.location.assign(xhr.responseURL);
      return;
    }
    document.open();
    document.write(xhr.responseText);
    document.close();
  }

  function uploadWithProgress(form) {
    var progress = form.querySelector("[data-upload-progress]");
    var bar = form.querySelector("[data-upload-bar]");
    form.addEventListener("submit", function (event) {
      if (!window.FormData || !progress) { return; }
      event.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action || window.location.href);
      progress.hidden = false;
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) { return; }
        var percent = Math.round((e.loaded / e.total) * 100);
        bar.style.width = percent + "%";
        progress.setAttribute("aria-valuenow", String(percent));
      });
      xhr.addEventListener("load", function () { showResponse(xhr); });
      xhr.addEventListener("error", function () { form.submit(); });
      xhr.send(new FormData(form));
    });
  }

  function submitOnce(button) {
    var form = button.form;
    form.addEventListener("submit", function () {
      // Let this submit go, then block the second click of a double click.
      window.setTimeout(function () { button.disabled = true; }, 0);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary();
    document.querySelectorAll("[data-submit-once]").forEach(submitOnce);
    var input = document.querySelector("input[type=file][multiple]");
    var list = document.querySelector("[data-file-previews]");
    if (input && list) { input.addEventListener("change", function () { previewFiles(input, list); }); }
    document.querySelectorAll("[data-upload-form]").forEach(uploadWithProgress);
  });
})();
