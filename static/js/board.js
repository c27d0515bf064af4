// The Traffic board's "Use my location": reloads the board nearest first (?near=lat,lng).
// Progressive enhancement only: without this file, or without permission, the board stays newest first.
(function () {
  "use strict";

  function say(text) {
    var status = document.querySelector("[data-location-status]");
    if (!status) { return; }
    status.textContent = text;
    status.hidden = false;
  }

  function goNear(position) {
    // Four decimals is about 10 m: plenty to sort by, and no more of the agent's position than needed.
    var near = position.coords.latitude.toFixed(4) + "," + position.coords.longitude.toFixed(4);
    var url = new URL(window.location.href);
    url.searchParams.set("near", near);
    url.hash = "";
    window.location.assign(url.toString());
  }

  function offerLocation(button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      say(button.getAttribute("data-locating"));
      navigator.geolocation.getCurrentPosition(goNear, function () {
        button.disabled = false;
        say(button.getAttribute("data-failed"));
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!("geolocation" in navigator) || !window.URL) { return; }
    document.querySelectorAll("[data-use-location]").forEach(offerLocation);
  });
})();
