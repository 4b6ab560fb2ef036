// Draws the network map with Cytoscape.js from the elements the page carries; the table below it stays for
// readers without JavaScript or a pointer. Selecting an organisation opens its page.
//
// The organisations that are linked are laid out by force (cose) across the top of the canvas, those not yet linked
// in a grid across the bottom, both the canvas's full width: laid out together, the isolated ones packed the linked
// ones into a narrow strip and the fit shrank every label to about 4 px. The canvas grows with the map, and labels
// are sized to read at 12 px or more at the zoom the fit gives. On a map of hundreds of organisations not every
// label fits: the best-linked organisations are named first, and a label that would cover one already placed is
// left off (its organisation is named when a pointer rests on it, and in the table). Before, 217 of the grown map's
// 228 labels overlapped another.
(function () {
  "use strict";
  var container = document.getElementById("network");
  var data = JSON.parse(document.getElementById("network-data").textContent);
  if (!container || typeof cytoscape !== "function") { return; }
  var LABEL_PX = 13, AREA_PER_NODE = 9000, ROW_PX = 75;
  var elements = data.nodes.map(function (n) {
    return { data: { id: n.id, label: n.label, text: n.label, href: n.href, linked: n.linked } };
  }).concat(data.edges.map(function (e) {
    return { data: { id: e.id, source: e.source, target: e.target, label: e.label, kind: e.kind } };
  }));
  var cy = cytoscape({
    container: container,
    elements: elements,
    layout: { name: "preset" },
    style: [
      { selector: "node", style: { "label": "data(text)", "font-size": LABEL_PX, "text-wrap": "wrap",
        "text-max-width": 120, "background-color": "#1d70b8", "width": 18, "height": 18, "color": "#0b0c0c",
        "text-valign": "bottom" } },
      { selector: "node[!linked]", style: { "background-color": "#b1b4b6" } },
      { selector: "edge", style: { "width": 2, "line-color": "#505a5f", "curve-style": "bezier",
        "target-arrow-shape": "triangle", "target-arrow-color": "#505a5f" } },
      { selector: "edge[kind = 'shared activity']", style: { "line-style": "dashed", "target-arrow-shape": "none" } }
    ]
  });
  var width = container.clientWidth;
  var linked = cy.nodes("[?linked]"), alone = cy.nodes("[!linked]");
  var columns = Math.max(1, Math.min(alone.length, Math.floor(width / 150)));
  var linkedHeight = linked.length ? Math.max(container.clientHeight * 0.55,
    Math.ceil(linked.length * AREA_PER_NODE / width)) : 0;
  var aloneHeight = alone.length ? Math.ceil(alone.length / columns) * ROW_PX + 20 : 0;
  container.style.height = Math.max(container.clientHeight, linkedHeight + aloneHeight) + "px";
  cy.resize();
  if (linked.length) {
    linked.union(linked.edgesWith(linked)).layout({
      name: "cose", animate: false, randomize: false, fit: false, padding: 30,
      boundingBox: { x1: 0, y1: 0, w: width, h: linkedHeight },
      nodeRepulsion: function () { return 800000; }, idealEdgeLength: function () { return 140; }, nodeOverlap: 40
    }).run();
  }
  if (alone.length) {
    alone.layout({
      name: "grid", fit: false, avoidOverlap: true, columns: columns, padding: 10,
      boundingBox: { x1: 0, y1: linkedHeight, w: width, h: aloneHeight }
    }).run();
  }
  // Fit the drawing, labels included; where the fit shrinks labels below 12 px, make them larger and fit again (larger
  // labels widen the drawing a little), so that the labels read at 12 px and none runs off the canvas.
  var font = LABEL_PX;
  for (var round = 0; round < 5; round++) {
    cy.fit(undefined, 20);
    var needed = Math.ceil(12 / cy.zoom());
    if (needed <= font) { break; }
    font = needed;
    cy.style().selector("node").style({ "font-size": font, "text-max-width": Math.ceil(120 / cy.zoom()) }).update();
  }
  var placed = [];
  function clear(box) {
    return placed.every(function (other) {
      return box.x2 < other.x1 || other.x2 < box.x1 || box.y2 < other.y1 || other.y2 < box.y1;
    });
  }
  cy.nodes().sort(function (a, b) { return b.degree() - a.degree(); }).forEach(function (node) {
    var box = node.renderedBoundingBox({ includeNodes: false, includeLabels: true });
    if (clear(box)) { placed.push(box); } else { node.data({ text: "", unnamed: true }); }
  });
  cy.on("mouseover", "node[?unnamed]", function (event) { event.target.data("text", event.target.data("label")); });
  cy.on("mouseout", "node[?unnamed]", function (event) { event.target.data("text", ""); });
  cy.on("tap", "node", function (event) { window.location.href = event.target.data("href"); });
  container.setAttribute("data-ready", String(cy.nodes().length));
})();
