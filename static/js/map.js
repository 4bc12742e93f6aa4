/* The district map on /map/ and /needs/. Plain JS, no build step.
 *
 * django-leaflet creates the map from LEAFLET_CONFIG (centre, bounds, tiles if any) and
 * calls window.appMapInit. Everything drawn here is vector: district polygons from
 * /map/districts.geojson and venue markers from /map/markers.geojson, so the map works with no tile
 * server. Ward boundaries and names (/map/wards.geojson) are the offline background, so a
 * zoomed-in map is never a blank shape. The legend sits under the map, never over a district.
 * Each district shape is a button for the keyboard (Tab, then Enter or Space); choosing one
 * moves focus to its panel. The page is complete without this script: every figure is in
 * its tables.
 */
(function () {
  "use strict";

  // A sequential blue ramp (light = low); enough contrast between steps for shading.
  var COLOURS = ["#e8f1fa", "#b7d2ec", "#6ea5d8", "#2e75b8", "#0b3d78"];
  var OUTLINE = "#212b32";
  var SELECTED = "#ffb81c";
  var WARD_LINE = "#4c6272";
  var WARD_LABEL_ZOOM = 13;  // ward names only once they fit
  // A district with no figure (no local service, no capacity recorded) is hatched grey, never
  // white: white read as the lowest band. The pattern is drawn into Leaflet's SVG (hatch()).
  var NONE_FILL = "url(#app-hatch)";
  var SVG = "http://www.w3.org/2000/svg";

  function readJSON(id, fallback) {
    var node = document.getElementById(id);
    if (!node) return fallback;
    try { return JSON.parse(node.textContent); } catch (e) { return fallback; }
  }

  // As mapping/presenters.py figure_text: whole numbers with commas; else one or two decimal
  // places (0.25 practitioner time is a real figure, 3.7 practitioners is Table 2's).
  function formatNumber(value) {
    if (value === null || value === undefined) return "none";
    if (Math.round(value) !== value) return (Math.round(value * 100) / 100).toFixed(2).replace(/(\.\d)0$/, "$1");
    return value.toLocaleString("en-GB");
  }

  // Every label is built as text: Leaflet puts a string tooltip or popup in as HTML, and
  // names come from curators, so a name like '"><img onerror=...>' must never be parsed.
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Five equal steps between the lowest and highest value (ten districts: quantiles would hide the spread).
  function breaksFor(values) {
    var present = values.filter(function (v) { return v !== null && v !== undefined; });
    if (!present.length) return null;
    var min = Math.min.apply(null, present), max = Math.max.apply(null, present);
    if (min === max) return [min, max];  // one value (say, one district's gap): one band, not five alike
    var breaks = [];
    for (var i = 0; i <= COLOURS.length; i++) breaks.push(min + (max - min) * i / COLOURS.length);
    return breaks;
  }

  function stepFor(value, breaks) {
    if (value === null || value === undefined || !breaks) return -1;
    for (var i = 1; i < breaks.length; i++) { if (value <= breaks[i]) return i - 1; }
    return COLOURS.length - 1;
  }

  function namesWith(features, key, target) {
    var names = features.filter(function (f) { return f.properties[key] === target; })
      .map(function (f) { return f.properties.name; });
    return names.length === 1 ? names[0] : names.slice(0, -1).join(", ") + " and " + names[names.length - 1];
  }

  window.appMapInit = function (map) {
    var container = map.getContainer();
    var measures = readJSON("map-measures", []);
    var view = readJSON("map-view", {});
    var measureKey = container.getAttribute("data-measure");
    var panelUrl = container.getAttribute("data-panel-url");
    var linkUrl = container.getAttribute("data-link-url");
    var summary = document.getElementById("map-summary");
    var select = document.getElementById("measure");
    var features = [], layersBySlug = {}, selectedSlug = view.district || "", districtLayer = null, legend = null;
    var venueSentence = summary ? summary.textContent.split(". ").filter(function (s) { return /venue/.test(s); }).join(". ") : "";

    map.options.zoomSnap = 0.25;  // fit the city snugly in any window
    map.attributionControl.addAttribution(
      'Boundaries: ONS, <a href="https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/">OGL v3</a>'
    );

    function measure() {
      return measures.filter(function (m) { return m.key === measureKey; })[0] || measures[0];
    }

    function currentBreaks() {
      return breaksFor(features.map(function (f) { return f.properties[measureKey]; }));
    }

    function bandColour(step, breaks) {
      if (breaks.length === 2) return COLOURS[2];  // a single band: a middle shade, clearly not "none"
      return measure().low ? COLOURS[COLOURS.length - 1 - step] : COLOURS[step];
    }

    function colourFor(value, breaks) {
      var step = stepFor(value, breaks);
      return step < 0 ? NONE_FILL : bandColour(step, breaks);
    }

    // A gap resting on some services' records but not all: its outline is dashed ("up to").
    function isPartial(feature) {
      return Boolean(measure().partialLegend) && feature.properties.capacity_state === "at_most";
    }

    function styleFor(feature) {
      var selected = feature.properties.slug === selectedSlug;
      return {
        color: selected ? SELECTED : OUTLINE, weight: selected ? 5 : (isPartial(feature) ? 2.5 : 1.5), opacity: 1,
        dashArray: isPartial(feature) && !selected ? "6 4" : null,
        fillColor: colourFor(feature.properties[measureKey], currentBreaks()), fillOpacity: 0.75,
      };
    }

    // The hatching for "no figure", once, in the SVG Leaflet draws the districts in.
    function hatch() {
      var svg = container.querySelector(".leaflet-overlay-pane svg");
      if (!svg || svg.querySelector("#app-hatch")) return;
      var defs = document.createElementNS(SVG, "defs");
      var pattern = document.createElementNS(SVG, "pattern");
      [["id", "app-hatch"], ["patternUnits", "userSpaceOnUse"], ["width", "8"], ["height", "8"],
       ["patternTransform", "rotate(45)"]].forEach(function (pair) { pattern.setAttribute(pair[0], pair[1]); });
      var ground = document.createElementNS(SVG, "rect");
      ground.setAttribute("width", "8"); ground.setAttribute("height", "8"); ground.setAttribute("fill", "#ffffff");
      var line = document.createElementNS(SVG, "rect");
      line.setAttribute("width", "3"); line.setAttribute("height", "8"); line.setAttribute("fill", "#768692");
      pattern.appendChild(ground); pattern.appendChild(line); defs.appendChild(pattern);
      svg.insertBefore(defs, svg.firstChild);
    }

    function swatchItem(className, colour, text) {
      var item = el("li");
      var swatch = el("span", { "class": "app-legend__swatch" + (className ? " " + className : ""), "aria-hidden": "true" });
      if (colour) swatch.style.background = colour;
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(text));
      return item;
    }

    // Under the map when the page has a place for it (a legend on the map covered the
    // eastern districts on a phone); else in the map's top-left corner, away from the city.
    var legendHolder = document.getElementById("map-legend");

    function drawLegend() {
      if (legend && !legendHolder) map.removeControl(legend);
      var breaks = currentBreaks();
      // Whole-number measures (people, services) get whole-number steps.
      var whole = features.every(function (f) { var v = f.properties[measureKey]; return v === null || Math.round(v) === v; });
      function rounded(value) { return formatNumber(whole ? Math.round(value) : Math.round(value * 10) / 10); }
      legend = L.control({ position: "topleft" });
      legend.onAdd = function () {
        var box = el("div", { "class": "app-legend" });
        box.appendChild(el("p", { "class": "app-legend__title" }, measure().label));
        var list = el("ul", { "class": "app-legend__list" });
        if (breaks && breaks.length === 2) {
          list.appendChild(swatchItem("", bandColour(0, breaks), rounded(breaks[0])));
        } else if (breaks) {
          for (var i = 0; i < COLOURS.length; i++) {
            list.appendChild(swatchItem("", bandColour(i, breaks), rounded(breaks[i]) + " to " + rounded(breaks[i + 1])));
          }
        }
        // "No figure" is its own entry, hatched, so it is never read as the lowest band.
        if (!breaks || features.some(function (f) { return f.properties[measureKey] === null; })) {
          list.appendChild(swatchItem("app-legend__swatch--none", "", measure().none || "No figure"));
        }
        if (features.some(isPartial)) {
          list.appendChild(swatchItem("app-legend__swatch--partial", "", measure().partialLegend));
        }
        box.appendChild(list);
        if (measure().low) box.appendChild(el("p", { "class": "app-legend__note" }, "Darker is more deprived"));
        return box;
      };
      if (legendHolder) {
        legendHolder.replaceChildren(legend.onAdd());
      } else {
        legend.addTo(map);
      }
    }

    function drawWards() {
      var url = container.getAttribute("data-wards-url");
      if (!url) return;
      fetch(url, { headers: { "Accept": "application/geo+json" } })
        .then(function (response) { if (!response.ok) throw new Error("wards"); return response.json(); })
        .then(function (collection) {
          var labels = L.layerGroup();
          L.geoJSON(collection, {
            style: { color: WARD_LINE, weight: 1, opacity: 0.8, dashArray: "4 3", fill: false },
            interactive: false,
            onEachFeature: function (feature, layer) {
              var centre = layer.getBounds().getCenter();
              labels.addLayer(L.tooltip({ permanent: true, direction: "center", className: "app-ward-label", interactive: false })
                .setLatLng(centre).setContent(el("span", {}, feature.properties.name)));
            },
          }).addTo(map);
          // Ward names are a picture for sighted readers: screen readers would read all 69 after
          // a postcode zoom (issue 22). The district list and tables say where things are.
          function toggleLabels() {
            if (map.getZoom() >= WARD_LABEL_ZOOM) {
              labels.addTo(map);
              container.querySelectorAll(".app-ward-label").forEach(function (node) { node.setAttribute("aria-hidden", "true"); });
            } else {
              labels.remove();
            }
          }
          map.on("zoomend", toggleLabels);
          toggleLabels();
          container.setAttribute("data-wards", String(collection.features.length));
        })
        .catch(function () { /* the districts still show; the wards are only a background */ });
    }

    function describe() {
      if (!summary || !features.length) return;
      var key = measureKey, m = measure();
      var values = features.map(function (f) { return f.properties[key]; }).filter(function (v) { return v !== null; });
      var text = "The map shades Birmingham's " + features.length + " districts by " + m.label.toLowerCase() + ".";
      if (values.length) {
        var high = Math.max.apply(null, values), low = Math.min.apply(null, values);
        text += m.low
          ? " Most deprived: " + namesWith(features, key, low) + " (decile " + low + "). Least deprived: " +
            namesWith(features, key, high) + " (decile " + high + ")."
          : " Highest: " + namesWith(features, key, high) + " (" + formatNumber(high) + "). Lowest: " +
            namesWith(features, key, low) + " (" + formatNumber(low) + ").";
        var missing = features.length - values.length;
        if (missing) text += " " + (m.none || "No figure") + " in " + missing + " district" + (missing === 1 ? "" : "s") + ".";
      } else {
        text += " " + (m.noneSummary || "No district has a figure.");
      }
      summary.textContent = text + (venueSentence ? " " + venueSentence : "");
    }

    function restyle() {
      if (districtLayer) districtLayer.setStyle(styleFor);
      if (selectedSlug && layersBySlug[selectedSlug]) layersBySlug[selectedSlug].bringToFront();
      drawLegend();
      describe();
    }

    function setParam(name, value) {
      if (!window.history || !window.history.replaceState) return;
      var url = new URL(window.location.href);
      if (value) url.searchParams.set(name, value); else url.searchParams.delete(name);
      if (name === "district") url.searchParams.delete("postcode");
      window.history.replaceState(null, "", url.toString());
    }

    function markCurrent(slug) {
      document.querySelectorAll("#district-list a[data-district]").forEach(function (link) {
        if (link.getAttribute("data-district") === slug) link.setAttribute("aria-current", "true");
        else link.removeAttribute("aria-current");
      });
    }

    function selectDistrict(slug, moveFocus) {
      if (!layersBySlug[slug]) return;
      if (!panelUrl) {  // the needs page: open the district on the map page
        window.location.href = linkUrl + "?district=" + encodeURIComponent(slug) + "#district-panel";
        return;
      }
      selectedSlug = slug;
      restyle();
      markCurrent(slug);
      setParam("district", slug);
      var query = new URL(window.location.href).searchParams;
      query.delete("district"); query.delete("postcode"); query.delete("measure");
      var panel = document.getElementById("district-panel");
      fetch(panelUrl + encodeURIComponent(slug) + "/panel/?" + query.toString(), { headers: { "Accept": "text/html" } })
        .then(function (response) {
          if (!response.ok) throw new Error("panel " + response.status);
          return response.text();
        })
        .then(function (html) {
          panel.innerHTML = html;  // our own template's output, escaped by Django
          if (moveFocus) {
            var heading = document.getElementById("district-panel-heading");
            if (heading) heading.focus();
          }
        })
        .catch(function () {
          window.location.href = "?" + query.toString() + "&district=" + encodeURIComponent(slug) + "#district-panel";
        });
    }

    // The venues come from their own cached GeoJSON (/map/markers.geojson), so the page
    // weighs the same whatever their number. Without it the page's venue table still lists them.
    function loadMarkers() {
      var url = container.getAttribute("data-markers-url");
      if (!url || !L.markerClusterGroup) return;
      fetch(url, { headers: { "Accept": "application/geo+json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("markers " + response.status);
          return response.json();
        })
        .then(function (collection) {
          addMarkers(collection.features.map(function (feature) {
            var venue = Object.assign({}, feature.properties);
            venue.lon = feature.geometry.coordinates[0];
            venue.lat = feature.geometry.coordinates[1];
            return venue;
          }));
          container.setAttribute("data-markers", String(collection.features.length));
        })
        .catch(function () { container.setAttribute("data-markers", "failed"); });
    }

    function addMarkers(markers) {
      if (!markers.length) return;
      var cluster = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40 });
      // Leaflet's default pin without its shadow (the shadow has no high-resolution image).
      // The icon's own addresses: Leaflet guesses them from leaflet.css, which fails once
      // collectstatic has given the images hashed names.
      var mapElement = document.getElementById("district-map");
      L.Icon.Default.imagePath = "";
      var icon = new (L.Icon.Default.extend({ createShadow: function () { return null; } }))({
        iconUrl: mapElement.dataset.iconUrl,
        iconRetinaUrl: mapElement.dataset.iconRetinaUrl
      });
      markers.forEach(function (venue) {
        var marker = L.marker([venue.lat, venue.lon], { icon: icon, title: venue.name, alt: venue.name, keyboard: true });
        var popup = el("div", { "class": "app-popup" });
        popup.appendChild(el("p", { "class": "app-popup__venue" }, venue.name));
        popup.appendChild(el("p", { "class": "app-popup__address" }, [venue.address, venue.postcode].filter(Boolean).join(", ")));
        var list = el("ul", { "class": "app-popup__services" });
        venue.services.forEach(function (service) {
          var item = el("li");
          item.appendChild(el("a", { href: service.url }, service.name));
          item.appendChild(el("span", { "class": "app-popup__meta" }, "Level: " + service.levels + ". Focus: " + service.focus + "."));
          item.appendChild(el("span", { "class": "app-popup__meta" }, service.how_to_refer));
          list.appendChild(item);
        });
        if (venue.more > 0) {
          var rest = el("li");
          rest.appendChild(el("a", { href: venue.more_url }, "and " + venue.more + " more near here"));
          list.appendChild(rest);
        }
        popup.appendChild(list);
        marker.bindPopup(popup, { maxWidth: 280 });
        cluster.addLayer(marker);
      });
      map.addLayer(cluster);
    }

    function showPostcode() {
      if (view.lat === undefined) return false;
      L.circleMarker([view.lat, view.lon], {
        radius: 8, color: "#212b32", weight: 3, fillColor: SELECTED, fillOpacity: 1,
      }).bindTooltip(el("span", {}, "Postcode " + view.postcode), { permanent: true, direction: "top", offset: [0, -8] }).addTo(map);
      map.setView([view.lat, view.lon], 13);
      return true;
    }

    function draw(collection) {
      features = collection.features;
      districtLayer = L.geoJSON(collection, {
        style: styleFor,
        onEachFeature: function (feature, layer) {
          var p = feature.properties;
          layersBySlug[p.slug] = layer;
          layer.bindTooltip(function () {
            var value = p[measureKey];
            var said = value === null || value === undefined ? (measure().none || "no figure").toLowerCase()
              : (isPartial(feature) ? measure().partialPrefix : "") + formatNumber(value);
            // A gap never without how much of it rests on records.
            var records = measure().partialLegend ? "; " + p.capacity_services_recorded + " of " +
              p.capacity_services_comparable + " specialised services have recorded their time" : "";
            return el("span", {}, p.name + ": " + said + " (" + measure().label.toLowerCase() + records + ")");
          }, { sticky: true });
          layer.on("click", function () { selectDistrict(p.slug, true); });
          if (layer.getElement && layer.getElement()) layer.getElement().setAttribute("data-district", p.slug);
        },
      }).addTo(map);
      Object.keys(layersBySlug).forEach(function (slug) {
        var path = layersBySlug[slug].getElement && layersBySlug[slug].getElement();
        if (!path) return;
        path.setAttribute("data-district", slug);
        path.classList.add("app-district-shape");
        // Keyboard: each district is a button in the tab order.
        var props = layersBySlug[slug].feature.properties;
        path.setAttribute("tabindex", "0");
        path.setAttribute("role", "button");
        path.setAttribute("aria-label", props.name + ": show its services");
        path.addEventListener("keydown", function (event) {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            selectDistrict(slug, true);
          }
        });
      });
      hatch();
      drawWards();
      restyle();
      loadMarkers();
      if (!showPostcode()) {
        var target = selectedSlug && layersBySlug[selectedSlug] ? layersBySlug[selectedSlug] : districtLayer;
        map.fitBounds(target.getBounds(), { padding: [8, 8] });
      }
      container.setAttribute("data-drawn", String(features.length));
    }

    if (select) {
      select.addEventListener("change", function () {
        measureKey = select.value;
        setParam("measure", measureKey);
        restyle();
      });
      document.querySelectorAll(".app-js-hidden").forEach(function (node) { node.hidden = true; });
    }

    document.querySelectorAll("#district-list a[data-district]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (!features.length) return;  // data not loaded: follow the link
        event.preventDefault();
        selectDistrict(link.getAttribute("data-district"), true);
      });
    });

    fetch(container.getAttribute("data-geojson-url"), { headers: { "Accept": "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("districts " + response.status);
        return response.json();
      })
      .then(draw)
      .catch(function () {
        if (summary) summary.textContent = "The map could not load the district shapes. Every figure is in the tables on this page.";
      });
  };
})();
