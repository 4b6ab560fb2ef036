// Offers concepts for each activity as its description is typed: POST /suggest, then a list under the
// description of the best concept per scheme, with its score and evidence, and a button that ticks it in the
// "Supports" or "Topic" choices. Nothing is chosen for the contributor, and the form works the same without it.
(function () {
  "use strict";
  var WAIT_MS = 500, SHORTEST = 25, SHOWN_PER_SCHEME = 2;
  // Scores below this are not offered: in bench/suggestions' evaluation set, 2 % of the editors' labels scored
  // under it, against 10 % of the other concepts of their schemes.
  var SHOWN_FROM = 0.05;

  function element(tag, text, className) {
    var made = document.createElement(tag);
    if (text) { made.textContent = text; }
    if (className) { made.className = className; }
    return made;
  }

  // The box of a concept IRI in the block's "Supports" or "Topic" choices: each box's data-concept is the
  // concept's IRI after /def/.
  function boxFor(block, concept) {
    var path = concept.split("/def/")[1];
    var boxes = document.querySelectorAll("input[name='" + block + ".supports'], input[name='" + block + ".topic']");
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].getAttribute("data-concept") === path) { return boxes[i]; }
    }
    return null;
  }

  function evidenceText(suggestion) {
    var evidence = suggestion.evidence;
    if (!evidence) { return ""; }
    var because = evidence.words.length ? "Words: " + evidence.words.join(", ") + ". " : "";
    var closest = evidence.closest.kind === "concept" ? "its definition" : "an approved description";
    return because + "Closest to " + closest + ": \u201c" + evidence.closest.text + "\u201d";
  }

  function show(block, panel, answer) {
    panel.textContent = "";
    panel.appendChild(element("h3", "Suggested for this description", "suggestions-title"));
    panel.appendChild(element("p", "Suggestions from the text alone: choose only what fits. Scores run from 0 to 1.", "hint"));
    var list = element("ul", "", "suggestion-list");
    answer.schemes.forEach(function (scheme) {
      scheme.suggestions.slice(0, SHOWN_PER_SCHEME).forEach(function (suggestion) {
        if (suggestion.score < SHOWN_FROM) { return; }
        var box = boxFor(block, suggestion.concept);
        var item = element("li", "", "suggestion");
        item.setAttribute("data-concept", suggestion.concept);
        item.appendChild(element("strong", suggestion.label));
        item.appendChild(element("span", " (" + scheme.label + ", score " + suggestion.score.toFixed(2) + ") "));
        if (box) {
          var choose = element("button", box.checked ? "Chosen" : "Choose", "secondary");
          choose.type = "button";
          choose.disabled = box.checked;
          choose.addEventListener("click", function () {
            box.checked = true;
            choose.textContent = "Chosen";
            choose.disabled = true;
          });
          item.appendChild(choose);
        }
        item.appendChild(element("p", evidenceText(suggestion), "hint"));
        list.appendChild(item);
      });
    });
    panel.appendChild(list.children.length ? list : element("p", "No concept is close to this text yet.", "hint"));
    panel.setAttribute("data-ready", String(list.children.length));
  }

  function watch(description) {
    var block = description.id.split(".")[0];
    var panel = element("div", "", "suggestions");
    panel.id = block + ".suggestions";
    panel.setAttribute("aria-live", "polite");
    description.parentNode.appendChild(panel);
    var timer = null, asked = 0;
    description.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var text = description.value.trim();
        // Every change outdates the answers still on their way: only the latest is shown.
        var ask = ++asked;
        if (text.length < SHORTEST) { panel.textContent = ""; return; }
        // Suggestions are a help, not a step: if they fail, the panel empties and the form goes on without them.
        function clear() { if (ask === asked) { panel.textContent = ""; } }
        fetch("/suggest", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ text: text, per_scheme: SHOWN_PER_SCHEME })
        }).then(function (response) {
          return response.ok ? response.json() : null;
        }).then(function (answer) {
          if (!answer) { clear(); } else if (ask === asked) { show(block, panel, answer); }
        }).catch(clear);
      }, WAIT_MS);
    });
  }

  var descriptions = document.querySelectorAll("textarea[id$='.description']");
  for (var i = 0; i < descriptions.length; i++) {
    if (descriptions[i].id.indexOf("activity") === 0) { watch(descriptions[i]); }
  }
})();
