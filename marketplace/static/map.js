/* Reststroom maps: Leaflet from the xstatic-leaflet package, no tiles from the internet.
 * All text put into popups goes through textContent, never innerHTML: listings are user input. */
(function (global) {
  "use strict";
  var COLORS = { offer: "#1e4f8a", need: "#8a3e1e" };

  function regionLayer(map) {
    return fetch("/api/region").then(function (r) { return r.json(); }).then(function (geojson) {
      var layer = L.geoJSON(geojson, {
        style: { color: "#1f7a4d", weight: 1.5, fillOpacity: 0.04 },
        onEachFeature: function (feature, l) { l.bindTooltip(textNode(feature.properties.name)); }
      }).addTo(map);
      map.fitBounds(layer.getBounds());
      return layer;
    });
  }

  function textNode(text) {
    var span = document.createElement("span");
    span.textContent = text == null ? "" : String(text);
    return span;
  }

  function popup(props, labels) {
    var box = document.createElement("div");
    var title = document.createElement("a");
    title.href = "/listings/" + encodeURIComponent(props.id);
    title.textContent = props.title;
    var strong = document.createElement("strong");
    strong.appendChild(title);
    box.appendChild(strong);
    var lines = [
      (props.kind === "offer" ? labels.offer : labels.need) + " · " + props.material_name,
      props.quantity + " " + props.unit,
      props.organisation_name || labels.anonymous,
      props.municipality || ""
    ];
    if (!props.exact_location) { lines.push(labels.approx); }
    lines.forEach(function (line) {
      if (!line) { return; }
      box.appendChild(document.createElement("br"));
      box.appendChild(textNode(line));
    });
    return box;
  }

  function baseMap(id) {
    var map = L.map(id, { scrollWheelZoom: false, zoomSnap: 0.25 });
    map.setView([52.22, 6.1], 10);
    return map;
  }

  function exchangesMap(id) {
  var el = document.getElementById(id);
  var map = baseMap(id);
  regionLayer(map).then(function () {
    return fetch(el.dataset.source, { headers: { Accept: "application/json" } });
  }).then(function (r) { return r.json(); }).then(function (data) {
    L.geoJSON(data, {
      style: function (f) {
        return {
          color: f.properties.loop_id ? "#d9822b" : (f.properties.status === "proposed" ? "#1e4f8a" : "#1f7a4d"),
          weight: 2, opacity: 0.7, dashArray: f.properties.status === "proposed" ? "4 4" : null
        };
      },
      onEachFeature: function (f, layer) {
        var box = document.createElement("div");
        [f.properties.offer_title + " → " + f.properties.need_title,
         f.properties.quantity_per_year + " " + f.properties.unit + " / yr",
         f.properties.net_co2e_kg + " kg CO2e / yr",
         f.properties.loop_id ? "loop " + f.properties.loop_id : ""].forEach(function (line, i) {
          if (!line) { return; }
          if (i) { box.appendChild(document.createElement("br")); }
          box.appendChild(textNode(line));
        });
        layer.bindPopup(box);
      }
    }).addTo(map);
    el.dataset.loaded = String(data.features.length);
  });
    return map;
  }

  global.Reststroom = {
    exchangesMap: exchangesMap,
    textNode: textNode,
    baseMap: baseMap,
    regionLayer: regionLayer,
    listingsMap: function (id, labels) {
      var el = document.getElementById(id);
      if (!el) { return null; }
      var map = baseMap(id);
      regionLayer(map).then(function () {
        return fetch(el.dataset.source, { headers: { Accept: "application/json" } });
      }).then(function (r) { return r.json(); }).then(function (data) {
        L.geoJSON(data, {
          pointToLayer: function (feature, latlng) {
            return L.circleMarker(latlng, {
              radius: 6, weight: 1, color: "#fff", fillOpacity: 0.85,
              fillColor: COLORS[feature.properties.kind] || "#555",
              dashArray: feature.properties.exact_location ? null : "2"
            });
          },
          onEachFeature: function (feature, layer) { layer.bindPopup(popup(feature.properties, labels)); }
        }).addTo(map);
        el.dataset.loaded = String(data.features.length);
      });
      return map;
    },
    pointMap: function (id, lon, lat, exact) {
      var map = baseMap(id);
      regionLayer(map).then(function () {
        if (lon == null || lat == null) { return; }
        var marker = exact ? L.marker([lat, lon]) : L.circle([lat, lon], { radius: 2500, color: "#8a5a00" });
        marker.addTo(map);
        map.setView([lat, lon], exact ? 13 : 11);
      });
      return map;
    },
    pickerMap: function (id, lonInput, latInput) {
      var map = baseMap(id);
      var marker = null;
      function place(latlng) {
        if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng).addTo(map); }
        lonInput.value = latlng.lng.toFixed(5);
        latInput.value = latlng.lat.toFixed(5);
      }
      regionLayer(map).then(function () {
        if (lonInput.value && latInput.value) { place(L.latLng(+latInput.value, +lonInput.value)); }
      });
      map.on("click", function (e) { place(e.latlng); });
      return map;
    }
  };

  // Maps declare themselves with data-map; no inline scripts (the CSP allows none).
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-map]").forEach(function (el) {
      var kind = el.dataset.map;
      if (kind === "listings") {
        global.Reststroom.listingsMap(el.id, JSON.parse(el.dataset.labels));
      } else if (kind === "point") {
        global.Reststroom.pointMap(el.id, JSON.parse(el.dataset.lon), JSON.parse(el.dataset.lat),
          JSON.parse(el.dataset.exact));
      } else if (kind === "exchanges") {
        exchangesMap(el.id);
      }
    });
  });
})(window);
