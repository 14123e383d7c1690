/* The listing form: show the fields of the chosen kind and location, the EWC picker, the map picker. */
(function () {
  "use strict";
  var form = document.getElementById("listing-form");
  if (!form) { return; }

  function checked(name) {
    var el = form.querySelector("input[name=" + name + "]:checked");
    return el ? el.value : null;
  }

  function toggle() {
    var kind = checked("kind");
    form.querySelectorAll("[data-for]").forEach(function (el) {
      el.hidden = el.dataset.for !== kind;
    });
    var mode = checked("location_mode");
    form.querySelectorAll("[data-location]").forEach(function (el) {
      el.hidden = el.dataset.location !== mode;
    });
    if (mode === "map" && !window.__pickerMap) {
      window.__pickerMap = Reststroom.pickerMap("picker", form.elements.lon, form.elements.lat);
    }
  }
  form.addEventListener("change", toggle);
  toggle();

  // Searchable EWC picker over all 842 codes, in both languages.
  var input = form.elements.ewc_code;
  var list = document.getElementById("ewc-options");
  var chosen = document.getElementById("ewc-chosen");
  var timer = null;
  var last = {};
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (last[q.replace(/\*$/, "")]) { chosen.textContent = last[q.replace(/\*$/, "")]; }
    if (q.length < 2) { return; }
    timer = setTimeout(function () {
      var asked = q;
      fetch("/api/ewc?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) {
          if (input.value.trim() !== asked) { return; }  // a newer search is under way
          list.textContent = "";
          (data.results || []).forEach(function (item) {
            var option = document.createElement("option");
            option.value = item.code;
            option.label = item.display + " " + item.description + (item.hazardous ? " ⚠" : "");
            option.textContent = option.label;
            list.appendChild(option);
            last[item.code] = item.display + " — " + item.description + (item.hazardous ? " (⚠ hazardous)" : "");
          });
        })
        .catch(function () { /* the picker is a help: typing a code still works */ });
    }, 200);
  });
})();
