// Draws the network map with Cytoscape.js from the elements the page carries; the table below it stays for
// readers without JavaScript or a pointer. Selecting an organisation opens its page.
(function () {
  "use strict";
  var container = document.getElementById("network");
  var data = JSON.parse(document.getElementById("network-data").textContent);
  if (!container || typeof cytoscape !== "function") { return; }
  var elements = data.nodes.map(function (n) {
    return { data: { id: n.id, label: n.label, href: n.href, linked: n.linked } };
  }).concat(data.edges.map(function (e) {
    return { data: { id: e.id, source: e.source, target: e.target, label: e.label, kind: e.kind } };
  }));
  var cy = cytoscape({
    container: container,
    elements: elements,
    layout: { name: "cose", animate: false, randomize: false, padding: 30, nodeRepulsion: function () { return 800000; },
      idealEdgeLength: function () { return 140; }, componentSpacing: 120, nodeOverlap: 40 },
    style: [
      { selector: "node", style: { "label": "data(label)", "font-size": 10, "text-wrap": "wrap", "text-max-width": 110,
        "background-color": "#1d70b8", "width": 18, "height": 18, "color": "#0b0c0c", "text-valign": "bottom" } },
      { selector: "node[!linked]", style: { "background-color": "#b1b4b6" } },
      { selector: "edge", style: { "width": 2, "line-color": "#505a5f", "curve-style": "bezier",
        "target-arrow-shape": "triangle", "target-arrow-color": "#505a5f" } },
      { selector: "edge[kind = 'shared activity']", style: { "line-style": "dashed", "target-arrow-shape": "none" } }
    ]
  });
  cy.on("tap", "node", function (event) { window.location.href = event.target.data("href"); });
  container.setAttribute("data-ready", String(cy.nodes().length));
})();
