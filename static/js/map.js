// The optional map pin. Without JavaScript, or when the tile server does not answer, the map stays
// hidden and the address fields carry the report.
(function () {
  "use strict";
  var CITY_CENTER = [44.9778, -93.265];

  function setup() {
    var block = document.querySelector("[data-map-block]");
    var element = document.getElementById("report-map");
    var unavailable = document.querySelector("[data-map-unavailable]");
    var lat = document.getElementById("id_latitude");
    var lng = document.getElementById("id_longitude");
    if (!block || !element || !window.L || !lat || !lng) { return; }
    block.hidden = false;

    var map = L.map(element).setView(CITY_CENTER, 12);
    var tilesLoaded = false;
    var layer = L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: element.dataset.attribution });
    layer.on("tileload", function () { tilesLoaded = true; });
    function stepAside() {
      if (tilesLoaded) { return; }
      map.remove();
      block.hidden = true;
      if (unavailable) { unavailable.hidden = false; }
    }
    layer.on("tileerror", stepAside);
    window.setTimeout(stepAside, 8000);
    layer.addTo(map);

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
    document.querySelector("[data-map-clear]").addEventListener("click", function () {
      if (marker) { map.removeLayer(marker); marker = null; }
      lat.value = "";
      lng.value = "";
    });
  }

  document.addEventListener("DOMContentLoaded", setup);
})();
