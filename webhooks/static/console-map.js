// The console's maps (Leaflet, served by the app): the alleys in scope as lines, reports as clustered markers.
// Tiles come from config/console.yml (a GCJ-02 server by default, matching the alleys' coordinates); without a
// tile template the map shows the lines and markers on a plain background.
(function () {
  var source = document.getElementById("map-data");
  var box = document.querySelector("[data-map], #heat-map");
  if (!source || !box || typeof L === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  box.textContent = "";
  var map = L.map(box, {scrollWheelZoom: false, maxZoom: 18});  // clustering needs it even without tiles
  if (data.tiles) {
    L.tileLayer(data.tiles, {subdomains: data.subdomains || "abc", attribution: data.attribution, maxZoom: 18})
      .addTo(map);
  }
  var bounds = [];
  data.alleys.forEach(function (alley) {
    L.polyline(alley.line, {color: "#b71c1c", weight: 5, opacity: 0.7}).bindTooltip(alley.name).addTo(map);
    bounds = bounds.concat(alley.line);
  });
  var cluster = L.markerClusterGroup ? L.markerClusterGroup() : L.layerGroup();
  data.points.forEach(function (p) {
    var marker = L.circleMarker([p.lat, p.lng], {radius: 6, color: "#b71c1c", fillOpacity: 0.6});
    if (p.ticket) {  // built as nodes, never as HTML: nothing in a ticket can become markup
      var popup = document.createElement("div"), link = document.createElement("a");
      link.href = p.url;
      link.textContent = "工单 " + p.ticket;
      popup.appendChild(link);
      popup.appendChild(document.createElement("br"));
      popup.appendChild(document.createTextNode(p.label || ""));
      marker.bindPopup(popup);
    }
    cluster.addLayer(marker);
    bounds.push([p.lat, p.lng]);
  });
  cluster.addTo(map);
  if (bounds.length) { map.fitBounds(bounds, {padding: [20, 20], maxZoom: 17}); } else { map.setView([39.9042, 116.4074], 12); }
  box.dataset.markers = String(data.points.length);
  box.dataset.drawn = "true";
})();
