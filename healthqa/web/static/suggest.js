// Suggestions as you type in the search box: topic names and article titles from
// /api/v1/suggest, offered through the browser's own <datalist> (keyboard and screen readers
// know it). Progressive enhancement: without this script the search box works as before.
(function () {
  "use strict";
  var input = document.getElementById("search-q");
  if (!input || !window.fetch || !("options" in document.createElement("datalist"))) {
    return;
  }
  var list = document.createElement("datalist");
  list.id = "search-suggestions";
  input.parentNode.appendChild(list);
  input.setAttribute("list", list.id);
  var timer = null;
  var asked = "";
  function show(suggestions) {
    list.textContent = "";
    suggestions.forEach(function (suggestion) {
      var option = document.createElement("option");
      option.value = suggestion.text;
      list.appendChild(option);
    });
  }
  function ask() {
    var typed = input.value.trim();
    if (typed.length < 2 || typed === asked) {
      return;
    }
    asked = typed;
    fetch("/api/v1/suggest?q=" + encodeURIComponent(typed), {
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : { suggestions: [] };
      })
      .then(function (data) {
        if (typed === input.value.trim()) {
          show(data.suggestions);
        }
      })
      .catch(function () {});
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 200);
  });
})();
