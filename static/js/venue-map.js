// The service page's small map of its venues; tiles only if configured (the vector markers always draw).
window.appVenueMapInit = function (map) {
  "use strict";
  // Tooltips get text, never a string: Leaflet would parse a curator's venue name as HTML.
  function label(text) {
    var node = document.createElement("span");
    node.textContent = text;
    return node;
  }
  var data = JSON.parse(document.getElementById("venue-features").textContent);
  var layer = L.geoJSON(data, {
    style: function (feature) {  // districts only; venues are styled in pointToLayer
      return feature.properties.kind === "district" ? {color: "#4c6272", weight: 1, fillColor: "#ffffff", fillOpacity: 0.6} : {};
    },
    pointToLayer: function (feature, latlng) {
      return L.circleMarker(latlng, {radius: 8, color: "#005eb8", weight: 3, fillColor: "#ffffff", fillOpacity: 1})
        .bindTooltip(label(feature.properties.name));
    },
    onEachFeature: function (feature, shape) {
      if (feature.properties.kind === "district") shape.bindTooltip(label(feature.properties.name + " district"));
    }
  }).addTo(map);
  // After django-leaflet has fitted its default extent.
  setTimeout(function () { map.fitBounds(layer.getBounds(), {maxZoom: 14, padding: [20, 20]}); }, 0);
};
