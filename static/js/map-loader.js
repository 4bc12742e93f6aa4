// Creates each map whose options mapping/templatetags/map_tags.py wrote as JSON, as django-leaflet's
// inline script would (L.Map.djangoMap from leaflet.extras.js), so no inline script is needed.
(function () {
  "use strict";
  document.querySelectorAll("script[type='application/json'][id$='-options']").forEach(function (element) {
    var options = JSON.parse(element.textContent);
    if (!options.djoptions || !document.getElementById(options.name)) return;
    function loadmap() {
      L.Map.djangoMap(options.name, {
        djoptions: options.djoptions, initfunc: loadmap, globals: false,
        callback: window[options.callback] || null
      });
    }
    if (!options.loadevents.length) loadmap();
    else options.loadevents.forEach(function (event) { window.addEventListener(event, loadmap, false); });
  });
})();
