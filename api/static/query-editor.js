// The query editor: YASGUI, served by ecomap itself, talking only to this server's /sparql.
// Autocompleters that would call outside services (prefix.cc, LOV) stay off; the example queries come
// from ecomap's queries/ folder.
document.addEventListener("DOMContentLoaded", function () {
  var element = document.getElementById("yasgui");
  var examples = JSON.parse(document.getElementById("examples").textContent);
  var endpoint = new URL(element.dataset.endpoint, window.location.href).toString();
  // The class and property completers ask Linked Open Vocabularies over the network: keep the rest.
  Yasgui.Yasqe.defaults.autocompleters = Yasgui.Yasqe.defaults.autocompleters.filter(function (name) {
    return name !== "class" && name !== "property";
  });
  var yasgui = new Yasgui(element, {
    requestConfig: { endpoint: endpoint, method: "POST", acceptHeaderSelect: "application/sparql-results+json,*/*;q=0.9" },
    copyEndpointOnNewTab: false,
    persistenceId: null,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    yasqe: { value: examples.length ? examples[0].query : "" },
  });
  // YASGUI leaves some controls unnamed for screen readers; name them (WCAG 4.1.2).
  element.querySelectorAll(".CodeMirror textarea").forEach(function (area) { area.setAttribute("aria-label", "SPARQL query"); });
  element.querySelectorAll("input.autocomplete").forEach(function (input) { input.setAttribute("aria-label", "SPARQL endpoint"); });
  element.querySelectorAll(".CodeMirror-scroll").forEach(function (region) { region.setAttribute("tabindex", "0"); });
  document.querySelectorAll("[data-example]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var example = examples[Number(link.dataset.example)];
      yasgui.getTab().setQuery(example.query);
      yasgui.getTab().getYasqe().focus();
    });
  });
  window.ecomapYasgui = yasgui;
});
