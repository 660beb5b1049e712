// Show the CTCAE grade texts of the chosen term beside the AE form (data from #ctcae-grades).
(function () {
  var data = document.getElementById("ctcae-grades");
  var select = document.getElementById("id_term");
  var out = document.getElementById("grade-texts");
  if (!data || !select || !out) { return; }
  var grades = JSON.parse(data.textContent);
  function show() {
    var g = grades[select.value] || {};
    out.textContent = "";
    Object.keys(g).sort().forEach(function (k) {
      var dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = "Grade " + k;
      dd.textContent = g[k] || "— (not defined for this term)";
      out.appendChild(dt);
      out.appendChild(dd);
    });
  }
  select.addEventListener("change", show);
  show();
})();
