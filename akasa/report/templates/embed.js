(function () {
  var specs = JSON.parse(document.getElementById("akasa-specs").textContent);
  var options = {
    renderer: "svg",
    actions: { export: true, source: false, compiled: false, editor: false }
  };
  Object.keys(specs).forEach(function (id) {
    var holder = document.getElementById(id);
    var target = document.createElement("div");
    vegaEmbed(target, specs[id], options).then(function () {
      holder.replaceChildren(target);
      holder.setAttribute("data-rendered", "true");
    }).catch(function (error) {
      holder.setAttribute("data-rendered", "failed");
      console.error("chart " + id + " could not be drawn: " + error);
    });
  });
})();
