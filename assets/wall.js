/* The wall in the browser (callbacks/wall.py, callbacks/wall_map.py): switching
   modules and map layers without a server round trip.

   switchModule: a module link changes ?module= of the wall's own dcc.Location; the
   tabs, the title, the layer checklist and the grid KPI follow from the module list
   the page carries (ids.WALL_CONF).
   mapView: the checklist, the grid KPI or the module changed; the map figure gets a
   Patch of the traces' `visible` flags and of the grid colours, nothing else, so
   plotly keeps every MapLibre source it has and the traces other code added to the
   figure (the live feed's) stay. A layer shown for the first time has no data in the
   page yet: it is asked of the server (ids.LAYERS_WANTED), which fills and shows it. */
(function () {
    var NO = function () { return window.dash_clientside.no_update; };

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

    function gridColours(patch, i, trace, view, key) {
        var p = ['data', i];
        patch.assign(p.concat('z'), view.z);
        patch.assign(p.concat('zmin'), view.zmin);
        patch.assign(p.concat('zmax'), view.zmax);
        patch.assign(p.concat('colorscale'), view.colorscale);
        patch.assign(p.concat('hovertemplate'), view.hovertemplate);
        patch.assign(p.concat('colorbar', 'title', 'text'), view.title);
        patch.assign(p.concat('colorbar', 'tickformat'), view.tickformat);
        patch.assign(p.concat('customdata'), (trace.customdata || []).map(function (row, k) {
            return [row[0], row[1], view.text[k]];
        }));
        patch.assign(p.concat('meta'), key);
    }

    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        townbrain_wall: {
            switchModule: function (search, conf) {
                var m = moduleOf(search, conf);
                var mod = conf.modules[m];
                var lang = langOf(search, conf);
                var tabs = conf.order.map(function (id) { return id === m ? 'module-tab is-active' : 'module-tab'; });
                var name = m === conf.overview ? '' : conf.names[lang][m];
                return [mod.cls].concat(tabs, [name, mod.layers, mod.choropleth, true]);
            },

            mapView: function (on, kpi, search, view, fig) {
                if (!fig || !view || !view.slots) { return [NO(), NO()]; }
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
                        var trace = fig.data[i];
                        if (!trace) { return; }
                        if (trace.visible !== want) { patch.assign(['data', i, 'visible'], want); changed = true; }
                        if (slot === 'grid_kpi' && want) {
                            var key = viewKey(kpi, (m && view.grids[viewKey(kpi, m)]) ? m : 'overview');
                            var stamp = key + '@' + (view.rev || 0);
                            if (trace.meta !== stamp && view.grids[key]) {
                                gridColours(patch, i, trace, view.grids[key], stamp);
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
