/* The engine run page: poll the run's state until it is done. */
(function () {
  var box = document.getElementById("run");
  if (box.dataset.status !== "running") { return; }
  var timer = setInterval(function () {
    fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (run) {
        document.getElementById("run-progress").style.width = Math.round(run.progress * 100) + "%";
        document.getElementById("run-status").textContent = run.status;
        if (run.status !== "running") { clearInterval(timer); window.location.reload(); }
      });
  }, 1000);
})();
