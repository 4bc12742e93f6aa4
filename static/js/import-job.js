// An import job's page (templates/admin/directory/import_job.html): while the job is queued or
// running, ask its status.json every few seconds and rewrite the progress and the live region
// (role="status"), so a screen reader hears where the import is. When it has finished, say so
// and offer the full result; the page is never reloaded under the curator.
(function () {
  "use strict";
  var root = document.querySelector(".app-import-job");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-status-url");
  var summary = document.getElementById("import-summary");
  var bar = document.getElementById("import-progress");
  var state = root.querySelector('[data-field="state_words"]');
  var again = root.querySelector(".app-import-again");
  var delay = 3000;

  function show(status) {
    if (summary.textContent !== status.summary) { summary.textContent = status.summary; }
    bar.max = status.rows_total;
    bar.value = status.rows_done;
    bar.textContent = status.percent + "%";
    state.textContent = status.state_words;
    if (status.finished && again) {
      again.textContent = "";
      var link = document.createElement("a");
      link.href = window.location.pathname;
      link.textContent = "See the result";
      again.appendChild(link);
    }
  }

  function ask() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (status) { show(status); if (!status.finished) { window.setTimeout(ask, delay); } })
      .catch(function () { delay = Math.min(delay * 2, 30000); window.setTimeout(ask, delay); });
  }

  window.setTimeout(ask, delay);
}());
