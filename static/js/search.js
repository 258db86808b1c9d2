/* Enhancements of the search and request forms. Every page works without this file: it
   only adds "Use my location", a live character count, the chooser's limit and the consent
   sentence's names, and Apple Maps for directions on Apple devices. Texts come from the
   page's data attributes, so they follow the page's language. */
(function () {
  "use strict";

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      return key in values ? values[key] : "";
    });
  }

  /* As the server writes numbers: the US way in every language ("2,000", es-US too). */
  function number(value) {
    return Number(value).toLocaleString((document.documentElement.lang || "en") + "-US");
  }

  /* "Use my location": the browser's position goes to this site only, rounded to about a
     kilometre, and the server answers with the nearest ZIP code. */
  function setUpLocate(form) {
    if (!("geolocation" in navigator) || form.querySelector(".locate")) return;
    var field = form.querySelector("#zip");
    var status = form.querySelector("#locate-status");
    if (!field || !status) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary locate";
    button.textContent = form.dataset.locateLabel;
    field.insertAdjacentElement("afterend", button);
    button.addEventListener("click", function () {
      status.hidden = false;
      status.textContent = form.dataset.locateBusy;
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          var params = new URLSearchParams(new FormData(form));
          params.delete("zip");
          params.delete("page");
          params.set(
            "near",
            position.coords.latitude.toFixed(2) + "," + position.coords.longitude.toFixed(2)
          );
          window.location.assign(form.action + "?" + params.toString());
        },
        function () {
          status.textContent = form.dataset.locateFailed;
          button.disabled = false;
          field.focus();
        },
        { enableHighAccuracy: false, maximumAge: 600000, timeout: 20000 }
      );
    });
  }

  /* The message's length, counted as the server counts it, before it refuses. */
  function setUpCounter(textarea) {
    var counter = document.getElementById("message-count");
    if (!counter) return;
    var limit = Number(counter.dataset.limit);
    function update() {
      var count = textarea.value.length;
      var over = count - limit;
      counter.classList.toggle("over", over > 0);
      counter.textContent = format(over > 0 ? counter.dataset.over : counter.dataset.count, {
        count: number(count),
        limit: number(limit),
        over: number(over)
      });
    }
    textarea.addEventListener("input", update);
    update();
  }

  /* Step 2: at most N ticked, and the consent sentence names who is ticked. */
  function setUpChooser(form) {
    var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name=specialists]"));
    if (!boxes.length) return;
    var max = Number(form.dataset.maxChosen);
    var status = form.querySelector("#chooser-status");
    var label = form.querySelector("label[for=consent]");
    var chosenLabel = label.innerHTML;
    function joined(names) {
      if (names.length < 2) return names.join("");
      return names.slice(0, -1).join(", ") + " " + label.dataset.and + " " + names[names.length - 1];
    }
    function update() {
      var ticked = boxes.filter(function (box) { return box.checked; });
      boxes.forEach(function (box) { box.disabled = !box.checked && ticked.length >= max; });
      if (ticked.length >= max) status.textContent = format(status.dataset.full, { max: max });
      else if (!ticked.length) status.textContent = status.dataset.none;
      else status.textContent = "";
      if (!ticked.length) {
        label.textContent = label.dataset.generic;
        return;
      }
      if (!label.querySelector("[data-consent-names]")) label.innerHTML = chosenLabel;
      label.querySelector("[data-consent-names]").textContent = joined(
        ticked.map(function (box) { return box.dataset.name; })
      );
    }
    boxes.forEach(function (box) { box.addEventListener("change", update); });
    update();
  }

  /* Apple devices open Apple Maps; everything else keeps the universal link. */
  function setUpDirections(link) {
    if (!/iPhone|iPad|iPod|Macintosh/.test(navigator.userAgent)) return;
    var destination = new URL(link.href).searchParams.get("destination");
    if (destination) link.href = "https://maps.apple.com/?daddr=" + encodeURIComponent(destination);
  }

  function ready() {
    document.querySelectorAll("form[data-locate]").forEach(setUpLocate);
    var message = document.getElementById("message");
    if (message) setUpCounter(message);
    document.querySelectorAll("form[data-max-chosen]").forEach(setUpChooser);
    document.querySelectorAll("a[data-directions]").forEach(setUpDirections);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
