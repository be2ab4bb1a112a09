/* normgraph query UI: YASGUI on our endpoint, our prefixes, our named queries as examples. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("ng-config").textContent);
  var endpoint = new URL(cfg.endpoint, window.location.href).href;
  var el = document.getElementById("yasgui");
  if (!window.Yasgui || !el) { return; }
  // Class/property autocompletion asks a remote service (LOV): never from here.
  Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"];
  var yasgui = new Yasgui(el, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: Object.assign({}, Yasgui.defaults.endpointCatalogueOptions, {
      getData: function () { return [{ endpoint: endpoint }]; }
    }),
    persistenceId: "normgraph-yasgui-" + window.location.host,
    populateFromUrl: true,
    yasqe: { value: cfg.defaultQuery, autocompleters: ["prefixes", "variables"] },
    yasr: { pluginOrder: ["table", "response"], defaultPlugin: "table" }
  });
  window.normgraphYasgui = yasgui;

  function current() { return yasgui.getTab(); }

  Array.prototype.forEach.call(document.querySelectorAll("button.example"), function (btn) {
    btn.addEventListener("click", function () {
      var ex = cfg.examples[btn.getAttribute("data-query")];
      if (!ex) { return; }
      var tab = yasgui.addTab(true, { name: ex.title, yasqe: { value: ex.text }, requestConfig: { endpoint: endpoint, method: "POST" } });
      var t = current();
      if (t && t.getQuery && t.getQuery() !== ex.text) { t.setQuery(ex.text); }
      if (t && t.getYasqe) { t.getYasqe().focus(); }
      return tab;
    });
  });
  var add = document.getElementById("add-prefixes");
  if (add) {
    add.addEventListener("click", function () {
      var t = current();
      if (t && t.getYasqe) { t.getYasqe().addPrefixes(cfg.prefixes); }
    });
  }
})();
