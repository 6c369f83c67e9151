/* The wall in the browser (callbacks/wall.py, callbacks/wall_map.py): switching
   modules and map layers without a server round trip.

   switchModule: a module link changes ?module= of the wall's own dcc.Location; the
   tabs, the title, the layer checklist and the grid KPI follow from the module list
   the page carries (ids.WALL_CONF).
   mapView: the checklist, the grid KPI or the module changed; the map spec gets a
   Patch of the layers' `visible` flags and of the grid colours, nothing else, and
   assets/map.js adds, removes or recolours just those layers (the live feed's own
   overlays stay). A layer shown for the first time has no data in the page yet: it
   is asked of the server (ids.LAYERS_WANTED), which fills and shows it. */
(function () {
    var NO = function () { return window.dash_clientside.no_update; };
    var PREFETCH_AFTER_MS = 1500;
    var WANTED = 'layers-wanted';   // ids.LAYERS_WANTED
    var asked = {};   // slot -> when its data was asked for by prefetch

    function moduleOf(search, conf) {
        var m = new URLSearchParams(search || '').get('module');
        return (m && conf.modules[m]) ? m : conf.overview;
    }

    function langOf(search, conf) {
        var l = new URLSearchParams(search || '').get('lang');
        return (l && conf.names[l]) ? l : conf.lang;
    }

    /* callbacks/wall_map.py: slot_visible */
    function slotVisible(slot, on, kpi) {
        if (slot === 'grid_kpi') {
            return on.indexOf('grids') >= 0 && !!kpi && on.indexOf('population') < 0;
        }
        return on.indexOf(slot) >= 0;
    }

    /* callbacks/wall_map.py: grid_view_key */
    function viewKey(kpi, module) {
        return kpi === 'theme_accepted' ? kpi + ':' + module : kpi;
    }

    /* callbacks/wall_map.py: _grid_colours */
    function gridColours(patch, i, view, key) {
        var p = ['layers', i];
        patch.assign(p.concat('fill'), view.fill);
        patch.assign(p.concat('tips'), view.tips);
        patch.assign(p.concat('scale'), view.scale);
        patch.assign(p.concat('meta'), key);
    }

    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        townbrain_wall: {
            /* callbacks/fragments.py: the server-rendered panel into its container. */
            fill: function (html, storeId) {
                // the fragment last put there is remembered: reading innerHTML back
                // would serialise the whole panel to compare it
                var el = document.getElementById(storeId.replace(/-html$/, ''));
                if (el && typeof html === 'string' && el._tbFragment !== html) {
                    el.innerHTML = html;
                    el._tbFragment = html;
                }
                return NO();
            },

            switchModule: function (search, conf) {
                var m = moduleOf(search, conf);
                var mod = conf.modules[m];
                var lang = langOf(search, conf);
                var tabs = conf.order.map(function (id) { return id === m ? 'module-tab is-active' : 'module-tab'; });
                var name = m === conf.overview ? '' : conf.names[lang][m];
                return [mod.cls].concat(tabs, [name, mod.layers, mod.choropleth, true]);
            },

            /* Once the first map is drawn, the other modules' layers (not the building
               footprints, ~1 MB and off everywhere) are fetched in the background, so
               a module switch later finds them in the page. They are asked for with
               set_props once the wall is idle, not returned: load_layers' data goes to
               the spec this callback's chain started from, and Dash does not run a
               callback (draw) twice in one chain. */
            prefetch: function (_drawn, view) {
                if (!view || !view.slots) { return NO(); }
                var now = Date.now();
                var missing = Object.keys(view.slots).filter(function (slot) {
                    return slot !== 'buildings' && view.slots[slot].length && view.loaded.indexOf(slot) < 0 &&
                        !(asked[slot] && now - asked[slot] < 30000);
                });
                if (!missing.length) { return NO(); }
                missing.forEach(function (slot) { asked[slot] = now; });
                // after the first render has settled, when the wall is idle
                setTimeout(function () {
                    (window.requestIdleCallback || function (f) { f(); })(function () {
                        window.dash_clientside.set_props(WANTED, {data: missing});
                    }, {timeout: 2000});
                }, PREFETCH_AFTER_MS);
                return NO();
            },

            mapView: function (on, kpi, search, view, spec) {
                if (!spec || !view || !view.slots) { return [NO(), NO()]; }
                on = on || [];
                var m = new URLSearchParams(search || '').get('module');
                var patch = new window.dash_clientside.Patch();
                var changed = false;
                var wanted = [];
                Object.keys(view.slots).forEach(function (slot) {
                    var want = slotVisible(slot, on, kpi);
                    if (want && view.loaded.indexOf(slot) < 0) {
                        // first shown: the server sends its data and shows it (load_layers)
                        if (view.slots[slot].length) { wanted.push(slot); }
                        return;
                    }
                    view.slots[slot].forEach(function (i) {
                        var layer = spec.layers[i];
                        if (!layer) { return; }
                        if (layer.visible !== want) { patch.assign(['layers', i, 'visible'], want); changed = true; }
                        if (slot === 'grid_kpi' && want) {
                            var key = viewKey(kpi, (m && view.grids[viewKey(kpi, m)]) ? m : 'overview');
                            var stamp = key + '@' + (view.rev || 0);
                            if (layer.meta !== stamp && view.grids[key]) {
                                gridColours(patch, i, view.grids[key], stamp);
                                changed = true;
                            }
                        }
                    });
                });
                return [changed ? patch.build() : NO(), wanted.length ? wanted : NO()];
            }
        }
    });
})();
