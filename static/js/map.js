// The optional map. On the filing form it places a pin; on the staff report page it shows one.
// Without JavaScript, or when the tile server does not answer, the map stays hidden and the address
// carries the report.
(function () {
  "use strict";
  var CITY_CENTER = [44.9778, -93.265];

  function tiles(map, element, block, unavailable) {
    var loaded = false;
    var layer = L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: element.dataset.attribution });
    function stepAside() {
      if (loaded) { return; }
      map.remove();
      block.hidden = true;
      if (unavailable) { unavailable.hidden = false; }
    }
    layer.on("tileload", function () { loaded = true; });
    layer.on("tileerror", stepAside);
    window.setTimeout(stepAside, 8000);
    layer.addTo(map);
  }

  function pinPicker(map, lat, lng) {
    var marker = null;
    function place(latlng) {
      if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng).addTo(map); }
      lat.value = latlng.lat.toFixed(6);
      lng.value = latlng.lng.toFixed(6);
    }
    if (lat.value && lng.value) {
      place(L.latLng(parseFloat(lat.value), parseFloat(lng.value)));
      map.setView(marker.getLatLng(), 16);
    }
    map.on("click", function (e) { place(e.latlng); });
    var clear = document.querySelector("[data-map-clear]");
    if (clear) {
      clear.addEventListener("click", function () {
        if (marker) { map.removeLayer(marker); marker = null; }
        lat.value = "";
        lng.value = "";
      });
    }
  }

  function show(block, element) {
    block.hidden = false;
    var map = L.map(element).setView(CITY_CENTER, 12);
    tiles(map, element, block, document.querySelector("[data-map-unavailable]"));
    if (element.dataset.readonly) {
      var point = L.latLng(parseFloat(element.dataset.lat), parseFloat(element.dataset.lng));
      L.marker(point).addTo(map);
      map.setView(point, 16);
      return;
    }
    var lat = document.getElementById("id_latitude");
    var lng = document.getElementById("id_longitude");
    if (lat && lng) { pinPicker(map, lat, lng); }
  }

  // Leaflet's stylesheet and script, added to the page when the map is wanted; `done` runs once both
  // have loaded (the marker's icon path is read from the stylesheet), `failed` if either cannot be had.
  function loadLeaflet(block, done, failed) {
    if (window.L) { done(); return; }
    var waiting = 2;
    function loaded() { waiting -= 1; if (waiting === 0) { done(); } }
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = block.dataset.leafletCss;
    css.onload = loaded;
    css.onerror = failed;
    var script = document.createElement("script");
    script.src = block.dataset.leafletJs;
    script.onload = loaded;
    script.onerror = failed;
    document.head.appendChild(css);
    document.head.appendChild(script);
  }

  function setup() {
    var block = document.querySelector("[data-map-block]");
    var element = document.getElementById("report-map");
    if (!block || !element) { return; }
    var unavailable = document.querySelector("[data-map-unavailable]");
    function open(focus) {
      loadLeaflet(block, function () {
        show(block, element);
        if (focus) { element.focus(); }
      }, function () {
        if (unavailable) { unavailable.hidden = false; }
      });
    }
    // The filing form offers the map; a pin placed earlier (back from the review page) shows at once.
    var offer = document.querySelector("[data-map-offer]");
    var lat = document.getElementById("id_latitude");
    if (!offer || (lat && lat.value)) { open(); return; }
    offer.hidden = false;
    offer.querySelector("button").addEventListener("click", function () {
      offer.hidden = true;
      open(true);
    });
  }

  document.addEventListener("DOMContentLoaded", setup);
})();
