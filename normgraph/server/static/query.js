/* normgraph query UI: YASGUI on our endpoint, our prefixes, our named queries as examples.

   What this adds to YASGUI as shipped:
   - every normgraph prefix (normgraph.iri.PREFIXES, from the catalog registry) offered to the editor's
     prefix completion and used to shorten result IRIs;
   - results in a compact form by default (prefixed names, literals without their datatype; the table's
     "Simple view" switch shows the full form), cells shown whole (the "Ellipse" switch cuts them short), and IRIs of this knowledge graph linking to this server's
     explorer page for them (cfg.resourceUrl) in the same window, never to the unresolved w3id.org address;
   - keyboard: Tab and Shift+Tab leave the editor (CodeMirror would indent), Escape leaves it too; the
     editor is a labelled contenteditable (read by screen readers);
   - names for YASGUI's unlabelled controls, and the results in their own scrolling, focusable box;
   - results are never kept in the browser (YASGUI keeps each tab's response in localStorage, where the next
     user of a shared browser saw the last one's organisation rows): only each tab's query text is, and
     responses an earlier version kept are dropped on load. Signing out also clears the site's storage
     (Clear-Site-Data, normgraph/server/auth.py). */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("ng-config").textContent);
  var endpoint = new URL(cfg.endpoint, window.location.href).href;
  var el = document.getElementById("yasgui");
  if (!window.Yasgui || !el) { return; }

  var Yasqe = Yasgui.Yasqe, Yasr = Yasgui.Yasr;
  var PERSISTENCE_ID = "normgraph-yasgui-" + window.location.host;

  /* Remove the responses a tab kept in localStorage (store.js items: {namespace, val, exp, time}). */
  function dropStoredResponses() {
    try {
      var raw = window.localStorage.getItem(PERSISTENCE_ID + "_config");
      var item = raw ? JSON.parse(raw) : null;
      var tabs = item && item.val && item.val.tabConfig;
      if (!tabs) { return; }
      var changed = false;
      Object.keys(tabs).forEach(function (id) {
        var yasr = tabs[id] && tabs[id].yasr;
        if (yasr && yasr.response !== undefined) { delete yasr.response; changed = true; }
      });
      if (changed) { window.localStorage.setItem(PERSISTENCE_ID + "_config", JSON.stringify(item)); }
    } catch (e) { /* no storage, or not ours to read: nothing of ours kept */ }
  }
  dropStoredResponses();
  // Class/property autocompletion asks a remote service (LOV): never from here. Prefix completion offers
  // ours first, then YASGUI's bundled list (prefixCcApi stays null: nothing is fetched).
  var ours = Object.keys(cfg.prefixes).sort().map(function (p) { return p + ": <" + cfg.prefixes[p] + ">"; });
  Yasqe.forkAutocompleter("prefixes", {
    name: "normgraph-prefixes",
    persistenceId: null,
    get: function (yasqe) {
      return Yasqe.Autocompleters.prefixes.get(yasqe).then(function (bundled) {
        return ours.concat(bundled.filter(function (line) { return ours.indexOf(line) < 0; }));
      });
    }
  }, false);
  var completers = ["normgraph-prefixes", "variables"];
  Yasqe.defaults.autocompleters = completers;
  Yasqe.defaults.inputStyle = "contenteditable";
  Yasqe.defaults.screenReaderLabel = "SPARQL query editor (Tab leaves the editor, Ctrl+Enter runs the query)";
  // false = not handled by CodeMirror: the browser moves the focus on
  Yasqe.defaults.extraKeys = Object.assign({}, Yasqe.defaults.extraKeys, { "Tab": false, "Shift-Tab": false });

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }

  /* The prefixed name of `iri` under the longest matching namespace whose local part is a valid one. */
  function shorten(iri, prefixes) {
    var best = null;
    Object.keys(prefixes).forEach(function (p) {
      var ns = prefixes[p];
      if (ns && iri.indexOf(ns) === 0 && (!best || ns.length > prefixes[best].length)) {
        var local = iri.slice(ns.length);
        if (/^([A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?)?$/.test(local)) { best = p; }
      }
    });
    return best === null ? null : best + ":" + iri.slice(prefixes[best].length);
  }

  function isLocal(iri) { return iri.indexOf(cfg.localBase) === 0; }

  /* YASR's table with our links and compact values. */
  var Table = Yasr.plugins.table;
  class NormgraphTable extends Table {
    constructor(yasr) {
      super(yasr);
      // whole cells by default: a cut-short cell opens on a mouse click only
      this.persistentConfig = Object.assign({ compact: true, isEllipsed: false }, this.persistentConfig);
      this.config = Object.assign({}, this.config, { openIriInNewWindow: false });
    }
    getUriLinkFromBinding(binding, prefixes) {
      var iri = binding.value;
      var compact = this.persistentConfig.compact !== false;
      var all = Object.assign({}, cfg.prefixes, prefixes || {});
      var name = compact ? shorten(iri, all) : null;
      var text = name === null ? "<" + iri + ">" : name;
      var href = isLocal(iri) && cfg.resourceUrl ? cfg.resourceUrl + "?iri=" + encodeURIComponent(iri) : iri;
      var safe = /^(https?:|\/)/i.test(href);
      var label = escapeHtml(text);
      return safe ? "<a class=\"iri\" href=\"" + escapeHtml(href) + "\" title=\"" + escapeHtml(iri) + "\">" + label + "</a>"
                  : label;
    }
    formatLiteral(binding, prefixes) {
      if (this.persistentConfig.compact !== false) { return escapeHtml(binding.value); }
      return super.formatLiteral(binding, prefixes);
    }
  }
  Yasr.registerPlugin("table", NormgraphTable);

  var yasgui = new Yasgui(el, {
    autofocus: false,  // the page starts at its top (skip link, heading), not inside the editor
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: Object.assign({}, Yasgui.defaults.endpointCatalogueOptions, {
      getData: function () { return [{ endpoint: endpoint }]; }
    }),
    persistenceId: PERSISTENCE_ID,
    populateFromUrl: true,
    yasqe: { value: cfg.defaultQuery, autocompleters: completers },
    // a response of more than 0 characters is not kept (YASR's getAsStoreObject): the query text only
    yasr: { pluginOrder: ["table", "response"], defaultPlugin: "table", prefixes: cfg.prefixes, maxPersistentResponseSize: 0 }
  });
  window.normgraphYasgui = yasgui;

  function current() { return yasgui.getTab(); }

  /* Names for the controls YASGUI leaves unnamed, the "add tab" button out of the tab list (a tab list holds
     tabs only), and the results in a labelled, focusable box that scrolls (the page never widens). */
  var LABELS = [
    [".tabsList", "aria-label", "Query tabs"],
    ["input.autocomplete", "aria-label", "SPARQL endpoint"],
    ["select.tableSizer", "aria-label", "Rows per page"],
    [".yasr_results .CodeMirror textarea", "aria-label", "The raw response (read only)"],
    [".yasr_results", "aria-label", "Query results"],
    [".yasr_results", "role", "region"],
    [".yasr_results", "tabindex", "0"]
  ];
  function tidy() {
    LABELS.forEach(function (row) {
      Array.prototype.forEach.call(el.querySelectorAll(row[0]), function (node) {
        if (!node.hasAttribute(row[1]) || row[1] === "aria-label" && !node.getAttribute(row[1])) {
          node.setAttribute(row[1], row[2]);
        }
      });
    });
    // the tab settings: each field named by its group's heading (YASGUI's <label>s are tied to nothing)
    Array.prototype.forEach.call(el.querySelectorAll(".tabMenu .requestConfigWrapper"), function (group) {
      var heading = group.querySelector(".label");
      var name = heading ? heading.textContent.trim() : "Setting";
      if (!group.hasAttribute("role")) { group.setAttribute("role", "group"); group.setAttribute("aria-label", name); }
      Array.prototype.forEach.call(group.querySelectorAll(".selector"), function (sel) {
        var which = sel.querySelector(".selectorLabel"), box = sel.querySelector("select");
        if (box && !box.getAttribute("aria-label")) {
          box.setAttribute("aria-label", name + (which ? " for " + which.textContent.trim() : ""));
        }
      });
      Array.prototype.forEach.call(group.querySelectorAll(".textRow"), function (row) {
        var inputs = row.querySelectorAll("input");
        Array.prototype.forEach.call(inputs, function (input, i) {
          if (!input.getAttribute("aria-label")) {
            input.setAttribute("aria-label", name + (inputs.length > 1 ? (i === 0 ? " name" : " value") : ""));
          }
        });
      });
      Array.prototype.forEach.call(group.querySelectorAll(".graphInput input"), function (input) {
        if (!input.getAttribute("aria-label")) { input.setAttribute("aria-label", name + " (IRI)"); }
      });
    });
    Array.prototype.forEach.call(el.querySelectorAll(".tabsList"), function (list) {
      var add = list.querySelector("button.addTab");
      if (add && list.parentNode) { list.parentNode.insertBefore(add, list.nextSibling); }
    });
  }
  tidy();
  new MutationObserver(tidy).observe(el, { childList: true, subtree: true });

  // on a phone the list of examples comes before the editor: fold it, so the editor is near the top
  var box = document.getElementById("examples-box");
  if (box && window.matchMedia && window.matchMedia("(max-width: 800px)").matches) { box.open = false; }

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
