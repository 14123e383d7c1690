/* The circularity map (templates/region/map.html): Leaflet from the xstatic package.
 *
 * Data come from /api/v1/map/*.geojson, aggregated on the server at regional and national
 * zoom (clusters with counts, flows between municipalities with summed quantities) and
 * one by one at street level. Every text from the data is put in with textContent, never
 * innerHTML: listings and firm names are user input. Filters live in the query string
 * (the filter form is a plain GET form), so a view can be shared by its URL.
 */
(function () {
  "use strict";

  var FAMILY_COLORS = {
    organics: "#4d8b31", paper: "#a0522d", plastics: "#1f77b4", metals: "#6c757d",
    minerals: "#8c6d31", glass: "#17becf", textiles: "#e377c2", chemicals: "#9467bd",
    oils_fats: "#bcbd22", sludges: "#7f5539", water: "#2a9df4", energy: "#d62728",
    packaging: "#ff7f0e", other: "#555555"
  };
  var STATUS_COLORS = { proposed: "#5b7db1", agreed: "#1f7a4d", active: "#0b8f8f", completed: "#3d3d3d" };
  var STATUS_DASH = { proposed: "6 5", agreed: null, active: null, completed: "2 4" };
  var LOOP_COLOR = "#e8590c";
  var CHORO = ["#f7fcf5", "#c7e9c0", "#74c476", "#31a354", "#006d2c"];

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text != null) { node.textContent = String(text); }
    if (attrs) { Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); }); }
    return node;
  }

  function fmt(n, digits) {
    var lang = document.documentElement.lang || "nl";
    return Number(n || 0).toLocaleString(lang === "en" ? "en-GB" : "nl-NL",
      { maximumFractionDigits: digits == null ? 1 : digits });
  }

  function link(href, text) {
    var a = el("a", text);
    a.href = href;  // URLs built by the server from public ids
    return a;
  }

  function lines(box, texts) {
    texts.forEach(function (t) { if (t) { box.appendChild(el("div", t)); } });
  }

  function CircularityMap(container) {
    this.container = container;
    this.cfg = JSON.parse(container.dataset.mapConfig);
    this.L = this.cfg.labels;
    this.params = new URLSearchParams(window.location.search);
    this.pending = null;
    this.panel = document.getElementById("map-panel-body");
    this.init();
  }

  CircularityMap.prototype.label = function (key) { return this.L[key] || key; };

  CircularityMap.prototype.init = function () {
    var self = this;
    var map = this.map = L.map(this.container, { zoomSnap: 0.5, minZoom: 6, maxZoom: 18 });
    map.setView([52.2, 6.05], 10);
    map.attributionControl.addAttribution(this.cfg.data_attribution);
    if (this.cfg.tiles) {
      L.tileLayer(this.cfg.tiles, { attribution: this.cfg.attribution, maxZoom: 19 }).addTo(map);
    } else {
      var notice = L.control({ position: "bottomleft" });
      notice.onAdd = function () { return el("div", self.label("no_tiles"), { "class": "map-notice" }); };
      notice.addTo(map);
    }
    map.createPane("boundaries").style.zIndex = 350;
    map.createPane("flows").style.zIndex = 420;
    this.layers = {
      boundaries: L.layerGroup(),
      municipalities: L.layerGroup(),
      choropleth: L.layerGroup(),
      organisations: L.layerGroup(),
      listings: L.layerGroup(),
      loops: L.layerGroup()
    };
    this.statusLayers = {};
    ["proposed", "agreed", "active", "completed"].forEach(function (s) {
      self.statusLayers[s] = L.layerGroup();
    });
    var overlays = {};
    overlays[this.label("municipalities")] = this.layers.municipalities;
    if (this.cfg.coordinator) {
      overlays[this.label("choropleth")] = this.layers.choropleth;
      overlays[this.label("organisations")] = this.layers.organisations;
    }
    overlays[this.label("listings")] = this.layers.listings;
    Object.keys(this.statusLayers).forEach(function (s) {
      overlays[self.label("exchanges_count") + ": " + self.label("status_" + s)] = self.statusLayers[s];
    });
    overlays[this.label("loops")] = this.layers.loops;
    this.layers.boundaries.addTo(map);
    Object.keys(overlays).forEach(function (name) { overlays[name].addTo(map); });
    if (!this.params.get("figure")) { map.removeLayer(this.layers.choropleth); }
    map.removeLayer(this.layers.organisations);  // on request: it sits on the listings' clusters
    this.control = L.control.layers(null, overlays, { collapsed: false, position: "topright" }).addTo(map);
    this.addLegend();
    this.bindForm();
    this.loadBoundaries().then(function () {
      map.on("moveend", function () { self.reload(); });
      return self.reload();
    });
  };

  CircularityMap.prototype.query = function (extra) {
    var q = new URLSearchParams();
    ["family", "category", "municipality", "from", "to"].forEach(function (k) {
      var v = this.params.get(k);
      if (v) { q.set(k, v); }
    }, this);
    var statuses = this.params.getAll("status");
    if (statuses.length) { q.set("status", statuses.join(",")); }
    if (this.cfg.mine) { q.set("mine", "1"); }
    Object.keys(extra || {}).forEach(function (k) { q.set(k, extra[k]); });
    return q.toString();
  };

  CircularityMap.prototype.fetchJSON = function (url, signal) {
    return fetch(url, { headers: { Accept: "application/geo+json" }, credentials: "same-origin", signal: signal })
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status + " " + url); }
        return r.json();
      });
  };

  // --- boundaries, region and choropleth ------------------------------------------------

  CircularityMap.prototype.loadBoundaries = function () {
    var self = this;
    return this.fetchJSON(this.cfg.municipalities).then(function (data) {
      var region = [];
      L.geoJSON(data, {
        pane: "boundaries",
        filter: function (f) { return !f.properties.outline; },
        style: { color: "#9aa5a0", weight: 0.6, fill: true, fillColor: "#ffffff", fillOpacity: 0.5 },
        interactive: false
      }).addTo(self.layers.boundaries);
      var outline = L.geoJSON(data, {
        pane: "boundaries",
        filter: function (f) { return f.properties.outline; },
        style: { color: "#1f5f3f", weight: 3, fill: false },
        interactive: false
      }).addTo(self.layers.boundaries);
      L.geoJSON(data, {
        pane: "boundaries",
        filter: function (f) { return f.properties.in_region && !f.properties.outline; },
        style: { color: "#1f7a4d", weight: 1.5, fillColor: "#1f7a4d", fillOpacity: 0.06 },
        onEachFeature: function (f, layer) {
          region.push(f);
          layer.bindTooltip(el("span", f.properties.name));
          layer.on("click", function () { self.showMunicipality(f.properties); });
        }
      }).addTo(self.layers.municipalities);
      if (self.cfg.coordinator && self.params.get("figure")) { self.loadFigures(self.params.get("figure")); }
      self.container.dataset.municipalities = String(region.length);
      if (!self.params.get("bbox")) {
        self.map.fitBounds(outline.getBounds(), { padding: [10, 10], animate: false });
      }
    }).catch(function (err) { self.fail(err); });
  };

  // The choropleth's figures cost queries over every listing and exchange: asked for only
  // when the choropleth is switched on.
  CircularityMap.prototype.loadFigures = function (figure) {
    var self = this;
    if (this.figureData) { this.drawChoropleth(figure); return Promise.resolve(); }
    return this.fetchJSON(this.cfg.municipalities + "?figures=1").then(function (data) {
      self.figureData = data;
      self.drawChoropleth(figure);
    }).catch(function (err) { self.fail(err); });
  };

  CircularityMap.prototype.drawChoropleth = function (figure) {
    var self = this;
    var features = this.figureData.features.filter(function (f) {
      return !f.properties.outline && f.properties[figure] > 0;
    });
    var values = features.map(function (f) { return f.properties[figure]; }).sort(function (a, b) { return a - b; });
    var breaks = [0.2, 0.4, 0.6, 0.8].map(function (q) { return values[Math.floor(q * (values.length - 1))] || 0; });
    function klass(v) {
      var i = 0;
      while (i < breaks.length && v > breaks[i]) { i += 1; }
      return CHORO[i];
    }
    this.layers.choropleth.clearLayers();
    L.geoJSON({ type: "FeatureCollection", features: features }, {
      pane: "boundaries",
      style: function (f) {
        return { color: "#567", weight: 0.5, fillColor: klass(f.properties[figure]), fillOpacity: 0.75 };
      },
      onEachFeature: function (f, layer) {
        layer.on("click", function () { self.showMunicipality(f.properties); });
      }
    }).addTo(this.layers.choropleth);
    this.choropleth = { figure: figure, breaks: breaks };
    this.updateLegend();
  };

  CircularityMap.prototype.showMunicipality = function (p) {
    var box = this.clearPanel(p.name);
    var self = this;
    ["exchanged_t", "co2e_estimated_t", "co2e_realised_t", "unmatched_supply_t", "active_firms"].forEach(function (k) {
      if (p[k] != null) { box.appendChild(el("div", self.label("figure_" + k) + ": " + fmt(p[k]))); }
    });
  };

  // --- data layers ----------------------------------------------------------------------

  CircularityMap.prototype.view = function () {
    var b = this.map.getBounds();
    return {
      bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(4); }).join(","),
      zoom: String(Math.round(this.map.getZoom()))
    };
  };

  CircularityMap.prototype.reload = function () {
    var self = this;
    if (this.pending) { this.pending.abort(); }
    var ctrl = this.pending = new AbortController();
    var view = this.view();
    var q = this.query(view);
    this.container.dataset.ready = "0";
    var calls = [
      this.fetchJSON(this.cfg.listings + "?" + q, ctrl.signal),
      this.fetchJSON(this.cfg.exchanges + "?" + q, ctrl.signal),
      this.fetchJSON(this.cfg.exchanges + "?" + this.query({ loops: "1", bbox: view.bbox, zoom: view.zoom }), ctrl.signal),
      this.cfg.organisations ? this.fetchJSON(this.cfg.organisations + "?" + q, ctrl.signal) : Promise.resolve(null)
    ];
    return Promise.all(calls).then(function (res) {
      self.drawListings(res[0]);
      self.drawExchanges(res[1]);
      self.drawLoops(res[2]);
      if (res[3]) { self.drawOrganisations(res[3]); }
      self.container.dataset.level = (res[1].reststroom || {}).level || "";
      self.container.dataset.ready = "1";
      // When the features were drawn (ms since navigation): the benchmark reads it.
      self.container.dataset.readyAt = String(Math.round(performance.now()));
    }).catch(function (err) {
      if (err.name !== "AbortError") { self.fail(err); }
    });
  };

  CircularityMap.prototype.fail = function (err) {
    this.container.dataset.ready = "error";
    var box = this.clearPanel(this.label("error"));
    box.appendChild(el("div", String(err.message || err)));
  };

  function clusterIcon(count, color, cls, zoom) {
    var most = zoom <= 7 ? 16 : (zoom < 9 ? 22 : 34);  // no overlap at country zoom
    var size = Math.round(18 + Math.min(most, Math.sqrt(count) * 3));
    var div = el("div", count > 9999 ? Math.round(count / 1000) + "k" : count, { "class": "cluster-icon " + cls });
    div.style.width = size + "px";
    div.style.height = size + "px";
    div.style.background = color;
    return L.divIcon({ html: div, className: "", iconSize: [size, size] });
  }

  CircularityMap.prototype.drawListings = function (data) {
    var self = this, layer = this.layers.listings, clusters = 0, points = 0;
    layer.clearLayers();
    data.features.forEach(function (f) {
      var p = f.properties, c = f.geometry.coordinates, latlng = [c[1], c[0]];
      if (p.cluster) {
        clusters += 1;
        var m = L.marker(latlng, { icon: clusterIcon(p.count, FAMILY_COLORS[p.family] || "#555", "listing-cluster", self.map.getZoom()) });
        m.bindPopup(function () { return self.clusterPopup(p); });
        layer.addLayer(m);
      } else {
        points += 1;
        var color = FAMILY_COLORS[p.family] || "#555";
        var marker = L.circleMarker(latlng, {
          radius: p.own ? 8 : 6, color: color, weight: 2,
          fillColor: p.kind === "offer" ? color : "#ffffff", fillOpacity: 0.9,
          dashArray: p.exact_location ? null : "2 2", className: "listing-point"
        });
        marker.bindPopup(function () { return self.listingPopup(p); });
        layer.addLayer(marker);
      }
    });
    this.container.dataset.clusters = String(clusters);
    this.container.dataset.listings = String(points);
  };

  CircularityMap.prototype.clusterPopup = function (p) {
    var box = el("div");
    box.appendChild(el("strong", p.name || ""));
    lines(box, [
      fmt(p.count, 0) + " " + this.label("listings_count") + " (" + fmt(p.offer, 0) + " " + this.label("offers") +
        ", " + fmt(p.need, 0) + " " + this.label("needs") + ")",
      p.mass_t_per_year ? fmt(p.mass_t_per_year) + " t " + this.label("per_year") : ""
    ]);
    var ul = el("ul");
    var fams = Object.keys(p.families || {}).sort(function (a, b) { return p.families[b] - p.families[a]; });
    fams.slice(0, 6).forEach(function (k) {
      ul.appendChild(el("li", (this.label("family_" + k)) + ": " + fmt(p.families[k], 0)));
    }, this);
    box.appendChild(ul);
    return box;
  };

  CircularityMap.prototype.listingPopup = function (p) {
    var box = el("div", null, { "class": "listing-popup" });
    var strong = el("strong");
    strong.appendChild(link(p.url, p.title));
    box.appendChild(strong);
    lines(box, [
      (p.kind === "offer" ? this.label("offer") : this.label("need")) + " · " + p.material_name,
      fmt(p.quantity_per_year) + " " + p.unit + " " + this.label("per_year"),
      p.organisation || this.label("anonymous"),
      p.municipality || "",
      p.exact_location ? "" : this.label("approx")
    ]);
    return box;
  };

  CircularityMap.prototype.drawOrganisations = function (data) {
    var layer = this.layers.organisations, self = this;
    layer.clearLayers();
    data.features.forEach(function (f) {
      var p = f.properties, c = f.geometry.coordinates, latlng = [c[1], c[0]];
      if (p.cluster) {
        var m = L.marker(latlng, { icon: clusterIcon(p.count, "#455a64", "org-cluster", self.map.getZoom()) });
        m.bindPopup(function () {
          var box = el("div");
          lines(box, [p.name || "", fmt(p.count, 0) + " " + self.label("firms")]);
          return box;
        });
        layer.addLayer(m);
      } else {
        var sq = L.circleMarker(latlng, { radius: 5, color: "#263238", weight: 1, fillColor: "#90a4ae", fillOpacity: 1 });
        sq.bindPopup(function () {
          var box = el("div"), strong = el("strong");
          strong.appendChild(link(p.url, p.name));
          box.appendChild(strong);
          lines(box, [p.municipality || ""]);
          return box;
        });
        layer.addLayer(sq);
      }
    });
  };

  // An arc from a to b (lat/lng), bending to the right of the direction of travel, and its
  // arrowhead; both in screen-independent degrees (latitude-corrected).
  function arc(a, b, bend) {
    var k = Math.cos(((a[0] + b[0]) / 2) * Math.PI / 180);
    var ax = a[1] * k, ay = a[0], bx = b[1] * k, by = b[0];
    var mx = (ax + bx) / 2, my = (ay + by) / 2, dx = bx - ax, dy = by - ay;
    var cx = mx + dy * bend, cy = my - dx * bend;
    var pts = [];
    for (var i = 0; i <= 16; i += 1) {
      var t = i / 16, u = 1 - t;
      pts.push([u * u * ay + 2 * u * t * cy + t * t * by, (u * u * ax + 2 * u * t * cx + t * t * bx) / k]);
    }
    var len = Math.sqrt(dx * dx + dy * dy) || 1e-6;
    var size = Math.min(len * 0.12, 0.012);
    var tx = bx - cx, ty = by - cy, tl = Math.sqrt(tx * tx + ty * ty) || 1e-6;
    tx /= tl; ty /= tl;
    var end = pts[16], ex = end[1] * k, ey = end[0];
    var head = [
      [ey, ex / k],
      [ey - ty * size + tx * size * 0.5, (ex - tx * size - ty * size * 0.5) / k],
      [ey - ty * size - tx * size * 0.5, (ex - tx * size + ty * size * 0.5) / k]
    ];
    return { line: pts, head: head };
  }

  function quantity(p) { return (p.mass_t || 0) + (p.energy_mwh || 0); }

  // Width and opacity relative to the largest flow drawn: the big flows stand out, the
  // many small ones stay thin and light instead of covering the map.
  function widthOf(p, most) {
    var share = Math.sqrt(quantity(p) / (most || 1));
    return 1 + 9 * Math.min(1, share);
  }

  function opacityOf(p, most) {
    return 0.3 + 0.6 * Math.min(1, Math.sqrt(quantity(p) / (most || 1)));
  }

  CircularityMap.prototype.drawExchanges = function (data) {
    var self = this, drawn = 0;
    var most = data.features.reduce(function (m, f) { return Math.max(m, quantity(f.properties)); }, 0);
    Object.keys(this.statusLayers).forEach(function (s) { self.statusLayers[s].clearLayers(); });
    // Small flows first, so the big ones are drawn on top.
    data.features.sort(function (a, b) { return quantity(a.properties) - quantity(b.properties); });
    data.features.forEach(function (f) {
      var p = f.properties, layer = self.statusLayers[p.status];
      if (!layer) { return; }
      var color = STATUS_COLORS[p.status];
      var popup = function () { return p.aggregate ? self.flowPopup(p) : self.exchangePopup(p); };
      if (f.geometry.type === "Point") {
        var c = f.geometry.coordinates;
        var ring = L.circleMarker([c[1], c[0]], {
          radius: 10 + Math.min(10, Math.log10(1 + p.count) * 4), color: color, weight: widthOf(p, most) / 2,
          opacity: opacityOf(p, most),
          fill: false, dashArray: STATUS_DASH[p.status], pane: "flows", className: "flow-internal"
        });
        ring.bindPopup(popup);
        layer.addLayer(ring);
        drawn += 1;
        return;
      }
      var cs = f.geometry.coordinates;
      var shape = arc([cs[0][1], cs[0][0]], [cs[1][1], cs[1][0]], 0.18);
      var opts = {
        color: color, weight: widthOf(p, most), opacity: opacityOf(p, most), dashArray: STATUS_DASH[p.status],
        pane: "flows", className: p.aggregate ? "flow-arc" : "exchange-arc"
      };
      var line = L.polyline(shape.line, opts).bindPopup(popup);
      var head = L.polygon(shape.head, { color: color, weight: 1, opacity: opacityOf(p, most), fillColor: color, fillOpacity: opacityOf(p, most), pane: "flows" }).bindPopup(popup);
      layer.addLayer(line);
      layer.addLayer(head);
      drawn += 1;
    });
    this.container.dataset.flows = String(drawn);
  };

  CircularityMap.prototype.flowPopup = function (p) {
    var box = el("div", null, { "class": "flow-popup" });
    box.appendChild(el("strong", p.internal ? (p.from || "") + " ↺" : (p.from || "?") + " → " + (p.to || "?")));
    lines(box, [
      this.label("status_" + p.status) + ": " + fmt(p.count, 0) + " " + this.label("exchanges_count"),
      p.mass_t ? fmt(p.mass_t) + " t " + this.label("per_year") : "",
      p.energy_mwh ? fmt(p.energy_mwh) + " MWh " + this.label("per_year") : "",
      fmt(p.net_co2e_kg, 0) + " " + this.label("co2"),
      p.loops ? this.label("loop") + ": " + fmt(p.loops, 0) : ""
    ]);
    return box;
  };

  CircularityMap.prototype.exchangePopup = function (p) {
    var box = el("div", null, { "class": "exchange-popup" });
    var strong = el("strong");
    strong.appendChild(link(p.url, p.offer_title + " → " + p.need_title));
    box.appendChild(strong);
    lines(box, [
      this.label("status_" + p.status),
      fmt(p.quantity_per_year) + " " + p.unit + " " + this.label("per_year"),
      fmt(p.net_co2e_kg, 0) + " " + this.label("co2"),
      (p.offer_organisation || this.label("anonymous")) + " → " + (p.need_organisation || this.label("anonymous")),
      (p.from || "") + " → " + (p.to || "")
    ]);
    if (p.loop_id) { box.appendChild(el("div", this.label("loop") + " " + p.loop_id)); }
    return box;
  };

  // Loops are highlighted when few; with many (a national economy) the highlight would
  // cover the flows, so the layer starts switched off and waits for the user.
  var MAX_LOOPS_SHOWN = 20;

  CircularityMap.prototype.drawLoops = function (data) {
    var self = this, layer = this.layers.loops;
    layer.clearLayers();
    if (!this.loopsDecided) {
      this.loopsDecided = true;
      if (data.features.length > MAX_LOOPS_SHOWN) { this.map.removeLayer(layer); }
    }
    data.features.forEach(function (f) {
      var p = f.properties;
      if (f.geometry.type === "Point") {
        var c = f.geometry.coordinates;
        var ring = L.circleMarker([c[1], c[0]], { radius: 16, color: LOOP_COLOR, weight: 5, opacity: 0.5, fill: false, pane: "flows", className: "loop-arc" });
        ring.on("click", function (e) { L.DomEvent.stop(e); self.showLoop(p); });
        layer.addLayer(ring);
        return;
      }
      f.geometry.coordinates.forEach(function (cs) {
        var shape = arc([cs[0][1], cs[0][0]], [cs[1][1], cs[1][0]], 0.18);
        var line = L.polyline(shape.line, { color: LOOP_COLOR, weight: 4, opacity: 0.35, pane: "flows", className: "loop-arc" });
        line.on("click", function (e) { L.DomEvent.stop(e); self.showLoop(p); });
        layer.addLayer(line);
      });
    });
    this.container.dataset.loops = String(data.features.length);
  };

  CircularityMap.prototype.showLoop = function (p) {
    var self = this;
    var box = this.clearPanel(this.label("loop") + " " + p.loop_id);
    lines(box, [fmt(p.count, 0) + " " + this.label("exchanges_count"), fmt(p.net_co2e_kg, 0) + " " + this.label("co2")]);
    box.appendChild(el("h3", this.label("loop_members")));
    var ul = el("ul", null, { id: "loop-members" });
    box.appendChild(ul);
    this.fetchJSON(this.cfg.exchanges + "?" + this.query({ loop: p.loop_id })).then(function (data) {
      data.features.forEach(function (f) {
        var li = el("li");
        li.appendChild(link(f.properties.url, f.properties.offer_title + " → " + f.properties.need_title));
        li.appendChild(el("span", " (" + self.label("status_" + f.properties.status) + ")"));
        ul.appendChild(li);
      });
    }).catch(function (err) { self.fail(err); });
  };

  CircularityMap.prototype.clearPanel = function (title) {
    while (this.panel.firstChild) { this.panel.removeChild(this.panel.firstChild); }
    if (title) { this.panel.appendChild(el("h3", title)); }
    return this.panel;
  };

  // --- legend and filters ---------------------------------------------------------------

  // The legend lives beside the map (in the side panel), where it covers nothing.
  CircularityMap.prototype.addLegend = function () {
    var self = this;
    this.legendBox = document.getElementById("map-legend");
    this.updateLegend();
    this.map.on("overlayadd overlayremove", function (e) {
      if (e.type === "overlayadd" && e.layer === self.layers.choropleth) {
        self.loadFigures(self.params.get("figure") || "exchanged_t");
      }
      self.updateLegend();
    });
  };

  CircularityMap.prototype.updateLegend = function () {
    var box = this.legendBox, self = this;
    if (!box) { return; }
    while (box.firstChild) { box.removeChild(box.firstChild); }
    box.appendChild(el("h3", this.label("legend")));
    Object.keys(STATUS_COLORS).forEach(function (s) {
      var row = el("div"), sw = el("span", null, { "class": "line" });
      sw.style.borderTopColor = STATUS_COLORS[s];
      if (STATUS_DASH[s]) { sw.style.borderTopStyle = "dashed"; }
      row.appendChild(sw);
      row.appendChild(document.createTextNode(self.label("status_" + s)));
      box.appendChild(row);
    });
    var loopRow = el("div"), loopSw = el("span", null, { "class": "line" });
    loopSw.style.borderTopColor = LOOP_COLOR;
    loopRow.appendChild(loopSw);
    loopRow.appendChild(document.createTextNode(this.label("loops")));
    box.appendChild(loopRow);
    box.appendChild(el("div", this.label("width")));
    box.appendChild(el("div", this.label("flow_hint")));
    box.appendChild(el("div", this.label("cluster_hint")));
    box.appendChild(el("h3", this.label("family")));
    Object.keys(FAMILY_COLORS).forEach(function (k) {
      var row = el("div"), sw = el("span", null, { "class": "swatch" });
      sw.style.background = FAMILY_COLORS[k];
      row.appendChild(sw);
      row.appendChild(document.createTextNode(self.label("family_" + k)));
      box.appendChild(row);
    });
    if (this.choropleth && this.map.hasLayer(this.layers.choropleth)) {
      box.appendChild(el("h3", this.label("figure_" + this.choropleth.figure)));
      var b = this.choropleth.breaks;
      CHORO.forEach(function (color, i) {
        var row = el("div"), sw = el("span", null, { "class": "swatch" });
        sw.style.background = color;
        row.appendChild(sw);
        var lo = i === 0 ? 0 : b[i - 1];
        row.appendChild(document.createTextNode(i < b.length ? "≤ " + fmt(b[i]) : "> " + fmt(lo)));
        box.appendChild(row);
      });
    }
  };

  CircularityMap.prototype.bindForm = function () {
    var self = this, form = document.getElementById("map-filters");
    if (!form) { return; }
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var q = new URLSearchParams(new FormData(form));
      Array.from(q.keys()).forEach(function (k) { if (!q.get(k)) { q.delete(k); } });
      self.params = q;
      history.replaceState(null, "", window.location.pathname + (q.toString() ? "?" + q.toString() : ""));
      if (self.cfg.coordinator && q.get("figure")) {
        self.loadFigures(q.get("figure"));
        self.map.addLayer(self.layers.choropleth);
      } else if (!q.get("figure")) {
        self.map.removeLayer(self.layers.choropleth);
      }
      self.reload();
    });
    form.querySelectorAll("select, input[type=checkbox]").forEach(function (input) {
      input.addEventListener("change", function () { form.requestSubmit(); });
    });
  };

  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("circularity-map");
    if (container) { window.reststroomMap = new CircularityMap(container); }
  });
})();
