// The check-in page (issue 20), made easier with JavaScript; everything works without it.
// 1. "Change this" unfolds its boxes; "Still right" folds them. (Not nhsuk-frontend's own
//    conditional reveal: it puts aria-expanded on radio buttons, which axe rightly refuses.)
// 2. The description for parents shows how easy it is to read as the provider types (Flesch
//    reading ease). The same formula is in directory/checkins/readability.py, which shows the
//    score after a submit without JavaScript.
(function () {
  "use strict";
  var HIDDEN = "nhsuk-radios__conditional--hidden";
  var revealers = document.querySelectorAll("input[type=radio][data-reveals]");
  function sync(radio) {
    var target = document.getElementById(radio.getAttribute("data-reveals"));
    if (target) { target.classList.toggle(HIDDEN, !radio.checked); }
  }
  Array.prototype.forEach.call(revealers, function (radio) {
    sync(radio);
    var group = document.querySelectorAll("input[type=radio][name='" + radio.name + "']");
    Array.prototype.forEach.call(group, function (other) {
      other.addEventListener("change", function () { sync(radio); });
    });
  });

  var WORD = /[A-Za-z]+(?:'[A-Za-z]+)*/g;
  var SENTENCE_END = /[.!?]+(?:\s|$)/g;
  var VOWEL_GROUP = /[aeiouy]+/g;
  var BANDS = [
    [80, "Very easy to read. Most parents will follow it easily."],
    [60, "Plain English. Most parents will follow it."],
    [50, "Fairly hard to read. Try shorter sentences and everyday words."],
    [-Infinity, "Hard to read. Use shorter sentences and shorter, everyday words."]
  ];

  function syllables(word) {
    word = word.toLowerCase();
    var count = (word.match(VOWEL_GROUP) || []).length;
    if (word.slice(-1) === "e" && word.slice(-2) !== "le" && count > 1) { count -= 1; }
    return Math.max(count, 1);
  }

  function readingEase(text) {
    var words = (text || "").match(WORD) || [];
    if (!words.length) { return null; }
    var sentences = Math.max(((text.trim() + " ").match(SENTENCE_END) || []).length, 1);
    var total = 0;
    for (var i = 0; i < words.length; i++) { total += syllables(words[i]); }
    var score = 206.835 - 1.015 * (words.length / sentences) - 84.6 * (total / words.length);
    return Math.round(score * 10) / 10;
  }

  function words(score) {
    for (var i = 0; i < BANDS.length; i++) { if (score >= BANDS[i][0]) { return BANDS[i][1]; } }
    return "";
  }

  var box = document.querySelector("[data-reading-ease]");
  var out = document.getElementById(box ? box.getAttribute("data-reading-ease") : "");
  if (!box || !out) { return; }
  function update() {
    var score = readingEase(box.value);
    out.textContent = score === null ? "Start writing to see how easy it is to read."
      : "Reading ease score: " + score + ". " + words(score);
  }
  box.addEventListener("input", update);
  update();
}());
