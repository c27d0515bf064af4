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

  function setup() {
    var block = document.querySelector("[data-map-block]");
    var element = document.getElementById("report-map");
    if (!block || !element || !window.L) { return; }
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

  document.addEventListener("DOMContentLoaded", setup);
})();
