(function () {
  var specs = JSON.parse(document.getElementById("akasa-specs").textContent);
  var options = {
    renderer: "svg",
    actions: { export: true, source: false, compiled: false, editor: false }
  };
  Object.keys(specs).forEach(function (id) {
    var holder = document.getElementById(id);
    var target = document.createElement("div");
    // In the page before drawing: a chart as wide as its container measures that width.
    target.className = "live";
    holder.appendChild(target);
    vegaEmbed(target, specs[id], options).then(function () {
      holder.replaceChildren(target);
      holder.setAttribute("data-rendered", "true");
    }).catch(function (error) {
      target.remove();
      holder.setAttribute("data-rendered", "failed");
      console.error("chart " + id + " could not be drawn: " + error);
    });
  });
})();
