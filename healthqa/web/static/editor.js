// The editors' workspace, a little helped: a live preview of the answer as it will be saved
// (rendered and sanitised by the server, as the site shows it), and a warning before leaving
// a page with unsaved changes. Without this script every form still works: "Preview" and
// "Save changes" post the form.
(function () {
  "use strict";
  var form = document.getElementById("edit-form");
  if (!form || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var body = document.getElementById("body");
  var section = document.getElementById("preview");
  var shown = document.getElementById("preview-body");
  var changed = false;
  var submitting = false;
  var timer = null;

  function preview() {
    var sent = new URLSearchParams();
    ["csrf", "title", "body", "body_format"].forEach(function (name) {
      var field = form.elements[name];
      if (field) {
        sent.append(name, field.value);
      }
    });
    fetch(form.getAttribute("data-preview"), {
      method: "POST",
      body: sent,
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html !== null) {
          shown.innerHTML = html; // sanitised by the server with the site's own rules
          section.hidden = false;
        }
      })
      .catch(function () {});
  }

  form.addEventListener("input", function (event) {
    changed = true;
    if (body && event.target === body && section && shown) {
      clearTimeout(timer);
      timer = setTimeout(preview, 500);
    }
  });
  form.addEventListener("submit", function () {
    submitting = true;
  });
  window.addEventListener("beforeunload", function (event) {
    if (changed && !submitting) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
