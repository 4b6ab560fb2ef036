// Draws the network map with Cytoscape.js from the elements the page carries; the table below it stays for
// readers without JavaScript or a pointer. Selecting an organisation opens its page.
//
// The organisations that are linked are laid out by force (cose) across the top of the canvas, those not yet linked
// in a grid across the bottom, both the canvas's full width: laid out together, the isolated ones packed the linked
// ones into a narrow strip and the fit shrank every label to about 4 px. Labels are sized to read at 12 px or more
// at the zoom the fit gives.
(function () {
  "use strict";
  var container = document.getElementById("network");
  var data = JSON.parse(document.getElementById("network-data").textContent);
  if (!container || typeof cytoscape !== "function") { return; }
  var LABEL_PX = 13;
  var elements = data.nodes.map(function (n) {
    return { data: { id: n.id, label: n.label, href: n.href, linked: n.linked } };
  }).concat(data.edges.map(function (e) {
    return { data: { id: e.id, source: e.source, target: e.target, label: e.label, kind: e.kind } };
  }));
  var cy = cytoscape({
    container: container,
    elements: elements,
    layout: { name: "preset" },
    style: [
      { selector: "node", style: { "label": "data(label)", "font-size": LABEL_PX, "text-wrap": "wrap",
        "text-max-width": 120, "background-color": "#1d70b8", "width": 18, "height": 18, "color": "#0b0c0c",
        "text-valign": "bottom" } },
      { selector: "node[!linked]", style: { "background-color": "#b1b4b6" } },
      { selector: "edge", style: { "width": 2, "line-color": "#505a5f", "curve-style": "bezier",
        "target-arrow-shape": "triangle", "target-arrow-color": "#505a5f" } },
      { selector: "edge[kind = 'shared activity']", style: { "line-style": "dashed", "target-arrow-shape": "none" } }
    ]
  });
  var width = container.clientWidth, height = container.clientHeight;
  var linked = cy.nodes("[?linked]"), alone = cy.nodes("[!linked]");
  var split = linked.length && alone.length ? 0.55 : (linked.length ? 1 : 0);
  if (linked.length) {
    linked.union(linked.edgesWith(linked)).layout({
      name: "cose", animate: false, randomize: false, fit: false, padding: 30,
      boundingBox: { x1: 0, y1: 0, w: width, h: height * split },
      nodeRepulsion: function () { return 800000; }, idealEdgeLength: function () { return 140; }, nodeOverlap: 40
    }).run();
  }
  if (alone.length) {
    var columns = Math.max(1, Math.min(alone.length, Math.floor(width / 150)));
    alone.layout({
      name: "grid", fit: false, avoidOverlap: true, columns: columns, padding: 10,
      boundingBox: { x1: 0, y1: height * split, w: width, h: height * (1 - split) }
    }).run();
  }
  cy.fit(undefined, 20);
  var zoom = cy.zoom();
  if (zoom * LABEL_PX < 12) {  // a fit below the labels' size: make them larger, so that they still read at 12 px
    cy.style().selector("node").style({ "font-size": Math.ceil(12 / zoom), "text-max-width": Math.ceil(120 / zoom) })
      .update();
  }
  cy.on("tap", "node", function (event) { window.location.href = event.target.data("href"); });
  container.setAttribute("data-ready", String(cy.nodes().length));
})();
