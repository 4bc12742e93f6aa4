// The referral page (issue 24): the checklist's "not met" explanations, and the referral summary,
// made here on the practitioner's device. Nothing typed or ticked is sent anywhere: the summary
// goes to the clipboard, the printer, a file or the practitioner's own e-mail program (mailto:).
// The one request this script makes is a bare "prepared" ping (an empty body, the route id in
// the address), once per page view, so the IMHSG can count demand per service.
// A file, not an inline script: the content security policy allows scripts from this site only.
(function () {
  var page = document.getElementById("referral");
  if (!page) {
    return;
  }
  var pinged = false;

  // --- The checklist: "Does not meet this" shows why, and the alternatives ---------------------
  var groups = page.querySelectorAll("[data-app-criterion]");
  groups.forEach(function (group) {
    var panel = document.getElementById("not-met-" + group.getAttribute("data-app-criterion"));
    if (!panel) {
      return;
    }
    panel.hidden = true;
    group.querySelectorAll("input").forEach(function (input) {
      input.addEventListener("change", function () {
        var no = group.querySelector("input[value='not met']");
        panel.hidden = !(no && no.checked);
      });
    });
  });

  // --- The summary --------------------------------------------------------------------------------
  function text(element) {
    return (element.textContent || "").replace(/\s+/g, " ").trim();
  }

  function criteriaLines() {
    var lines = [];
    groups.forEach(function (group) {
      var fieldset = group.closest("fieldset");
      var label = text(fieldset.querySelector("[data-app-criterion-text]"));
      var chosen = group.querySelector("input:checked");
      lines.push("- " + (chosen ? chosen.value.toUpperCase() : "NOT CHECKED") + ": " + label);
    });
    return lines;
  }

  function compose() {
    var data = page.dataset;
    var lines = [
      "Referral to " + data.service + " (" + data.organisation + ")",
      "Route: " + data.route,
      "Prepared on " + data.today,
      "",
    ];
    var consent = document.getElementById("consent-discussed");
    lines.push(consent && consent.checked
      ? "Consent: the referral and what will be shared were discussed with the family, and they agree."
      : "Consent: NOT yet recorded as discussed with the family.");
    lines.push("");
    lines.push("Acceptance criteria checked:");
    lines = lines.concat(criteriaLines());
    page.querySelectorAll("[data-app-field]").forEach(function (field) {
      var label = document.querySelector("label[for='" + field.id + "']");
      lines.push("");
      lines.push((label ? text(label) : field.id) + ":");
      lines.push(field.value.trim() || "(not given)");
    });
    return lines.join("\n");
  }

  function say(message) {
    var status = document.getElementById("summary-status");
    status.textContent = "";
    window.setTimeout(function () { status.textContent = message; }, 50);
  }

  function ping() {
    // Once per page view; the server also spends the view's token, so a replay is not counted.
    if (pinged || !window.fetch) {
      return;
    }
    pinged = true;
    window.fetch(page.dataset.pingUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": page.dataset.csrf, "X-Referral-View": page.dataset.viewToken },
    }).catch(function () { /* a count missed is no loss to the practitioner */ });
  }

  var output = document.getElementById("summary-output");
  var summary = document.getElementById("summary-text");
  var printed = document.getElementById("summary-print");
  var make = document.getElementById("make-summary");
  var email = document.getElementById("email-summary");

  function refresh() {
    summary.value = compose();
    printed.textContent = summary.value;
    if (email) {
      email.href = page.dataset.mailto + "&body=" + encodeURIComponent(summary.value);
    }
  }

  make.addEventListener("click", function () {
    refresh();
    output.hidden = false;
    summary.focus();
    summary.setSelectionRange(0, 0);  // read from the top
    summary.scrollTop = 0;
    say("The summary is ready below. Check it, then copy, print or save it" + (email ? ", or open an e-mail draft." : "."));
    ping();
  });

  // Keep the summary in step with later changes, once it has been made.
  page.addEventListener("input", function (event) {
    if (!output.hidden && event.target !== summary) { refresh(); }
  });
  page.addEventListener("change", function () {
    if (!output.hidden) { refresh(); }
  });

  function copyBySelection() {
    summary.focus();
    summary.select();
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  document.getElementById("copy-summary").addEventListener("click", function () {
    refresh();
    function copied() { say("Copied. Paste it into your referral, secure e-mail or the service's form."); }
    function notCopied() {
      summary.focus();
      summary.select();
      say("Your browser did not allow copying. The summary is selected: copy it with your device's copy command.");
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(summary.value).then(copied, function () {
        if (copyBySelection()) { copied(); } else { notCopied(); }
      });
    } else if (copyBySelection()) {
      copied();
    } else {
      notCopied();
    }
  });

  document.getElementById("print-summary").addEventListener("click", function () {
    refresh();
    document.body.classList.add("app-print-summary");
    window.print();
    document.body.classList.remove("app-print-summary");
  });

  document.getElementById("save-summary").addEventListener("click", function () {
    refresh();
    // A file made here, from a blob in this page's memory: nothing goes over the network.
    var url = URL.createObjectURL(new Blob([summary.value], { type: "text/plain;charset=utf-8" }));
    var link = document.createElement("a");
    link.href = url;
    link.download = "referral-" + page.dataset.service.toLowerCase().replace(/[^a-z0-9]+/g, "-") + ".txt";
    document.body.appendChild(link);
    link.click();
    link.remove();
    window.setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
    say("Saved as a file in your downloads. Keep it only as long as your organisation's rules allow.");
  });

  if (email) {
    email.addEventListener("click", function () {
      refresh();
      say("Your e-mail program should open with a draft. Check it is a secure e-mail account before sending.");
    });
  }
})();
