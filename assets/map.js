/* The wall's map (callbacks/wall_map.py): Leaflet on a Canvas 2D renderer, drawn from
   the layer spec of ids.WALL_MAP_SPEC (layers/leaflet.py).

   Why Leaflet and Canvas 2D: without a GPU (the command room's PCs, headless
   Chromium in CI) every WebGL frame of a MapLibre map is rendered by SwiftShader and
   read back for the compositor, 0.3-0.5 s per frame; a Canvas 2D redraw of the same
   layers takes tens of milliseconds (bench/ui.py, docs/map-rendering.md).

   draw(spec, id) is the clientside callback of the spec store: it builds the map the
   first time, then only applies what changed, layer by layer: a layer whose `rev`
   changed is rebuilt, one whose `meta` changed is recoloured (the grid KPI), one
   whose `visible` changed is added or removed. Hidden layers keep their Leaflet
   objects, so showing one again costs one redraw.

   window.TownMap is the small API the live feed (assets/live.js), the browser tests
   and bench/ui.py use: state, overlays, flyTo, project, gridPoint. */
(function () {
    var maps = {};

    var SEGMENT_BREAK = null;
    var NUMBER = {zh: 'zh-CN', en: 'en-US'};

    function segments(lon, lat) {
        var segs = [], cur = [];
        for (var i = 0; i < lon.length; i++) {
            if (lon[i] === SEGMENT_BREAK || lat[i] === SEGMENT_BREAK) {
                if (cur.length > 1) { segs.push(cur); }
                cur = [];
            } else {
                cur.push([lat[i], lon[i]]);
            }
        }
        if (cur.length > 1) { segs.push(cur); }
        return segs;
    }

    function at(v, i) { return Array.isArray(v) ? v[i] : v; }

    function tipOptions(kind) {
        return {className: 'map-tip', direction: 'top', sticky: kind === 'polygons', opacity: 1};
    }

    /* Fill colour, tooltip and index of each feature of a polygons layer, by feature id. */
    function featureIndex(spec) {
        var index = {};
        (spec.ids || []).forEach(function (fid, k) { index[fid] = k; });
        return index;
    }

    function polygonStyle(spec, index) {
        var line = spec.line || {};
        return function (feature) {
            var k = index[feature.id];
            var fill = k === undefined ? null : at(spec.fill, k);
            return {stroke: (line.width || 0) > 0, color: line.color, weight: line.width || 0,
                    fill: !!fill, fillColor: fill || '#000', fillOpacity: fill ? (spec.fillOpacity || 1) : 0};
        };
    }

    function build(m, spec, renderer, pane) {
        var kind = spec.kind;
        if (kind === 'polygons') {
            var index = featureIndex(spec);
            var tips = spec.tips;
            var layer = L.geoJSON(spec.geojson, {
                renderer: renderer, interactive: !!tips, style: polygonStyle(spec, index),
                onEachFeature: function (feature, l) {
                    var k = index[feature.id];
                    if (tips && k !== undefined && tips[k]) { l.bindTooltip(tips[k], tipOptions(kind)); }
                }
            });
            layer._tbIndex = index;
            return layer;
        }
        if (kind === 'lines') {
            return L.polyline(segments(spec.lon || [], spec.lat || []), {
                renderer: renderer, interactive: false, color: spec.color, weight: spec.width,
                opacity: spec.opacity === undefined ? 1 : spec.opacity, lineCap: 'round', lineJoin: 'round'});
        }
        if (kind === 'points') {
            var group = L.featureGroup();
            var lon = spec.lon || [], lat = spec.lat || [];
            for (var i = 0; i < lon.length; i++) {
                var c = at(spec.color, i);
                var mk = L.circleMarker([lat[i], lon[i]], {
                    renderer: renderer, pane: pane, interactive: !!spec.tips,
                    radius: Math.max(1.5, (at(spec.size, i) || 6) / 2),
                    stroke: true, weight: 0.6, color: 'rgba(7,18,31,0.85)',
                    fill: true, fillColor: c, fillOpacity: spec.opacity === undefined ? 0.9 : at(spec.opacity, i)});
                if (spec.tips && spec.tips[i]) { mk.bindTooltip(spec.tips[i], tipOptions(kind)); }
                group.addLayer(mk);
            }
            return group;
        }
        if (kind === 'heat') {
            var pts = [], z = spec.z;
            for (var j = 0; j < (spec.lon || []).length; j++) {
                pts.push([spec.lat[j], spec.lon[j], z ? z[j] : 1]);
            }
            // Leaflet.heat bins points into cells of radius/2 and draws each cell at
            // alpha min(sum, max) / max; maxZoom 0 keeps a point's weight the same at
            // every zoom, so the colours mean the same number of cases near and far.
            var r = Math.round((spec.radius || 10) * 1.2);
            var heat = L.heatLayer(pts, {radius: r, blur: Math.round(r * 1.2), minOpacity: 0, maxZoom: 0,
                                         max: spec.max || 6, gradient: spec.gradient});
            heat._tbOpacity = spec.opacity === undefined ? 0.8 : spec.opacity;
            // hidden, it skips its redraws (each colours every pixel of its canvas) and
            // catches up when shown again
            var redraw = heat._redraw;
            heat._redraw = function () {
                if (this._tbHidden) { this._tbStale = true; this._frame = null; return; }
                this._tbStale = false;
                return redraw.apply(this, arguments);
            };
            return heat;
        }
        return null;
    }

    function count(spec) {
        if (spec.kind === 'polygons') { return ((spec.geojson || {}).features || []).length; }
        return (spec.lon || []).length;
    }

    /* A heat layer stays on the map once built and is hidden with its canvas: adding
       Leaflet.heat again re-creates its canvas and recolours it (40-70 ms a switch).
       One built hidden (the other modules' layers, fetched when the wall is idle) is
       added and drawn at once, then hidden: showing it costs nothing unless the map
       moved meanwhile (one redraw then). */
    function heatShown(m, entry) {
        return m.map.hasLayer(entry.obj) && !entry.obj._tbHidden;
    }

    function showHeat(m, obj, on) {
        if (!m.map.hasLayer(obj)) {
            // drawn once as it is added (when the wall is idle, for a hidden one)
            obj._tbHidden = false;
            obj.addTo(m.map);
            if (obj._tbOpacity !== undefined) { obj._canvas.style.opacity = obj._tbOpacity; }
            obj._tbHidden = !on;
            obj._canvas.style.display = on ? '' : 'none';
            return;
        }
        var was = obj._tbHidden;
        obj._tbHidden = !on;
        obj._canvas.style.display = on ? '' : 'none';
        if (on && was && obj._tbStale) { obj._reset(); }
    }

    function show(m, entry, on) {
        var obj = entry.obj;
        if (!obj) { return false; }
        if (entry.kind === 'heat') {
            showHeat(m, obj, on);
            return false;
        }
        var has = m.map.hasLayer(obj);
        if (on && !has) {
            obj.addTo(m.map);
            return true;
        }
        if (!on && has) { m.map.removeLayer(obj); }
        return false;
    }

    function onMap(m, entry) {
        if (!entry.obj) { return false; }
        return entry.kind === 'heat' ? heatShown(m, entry) : m.map.hasLayer(entry.obj);
    }

    function recolour(entry, spec) {
        var obj = entry.obj;
        if (!obj || spec.kind !== 'polygons') { return; }
        var index = obj._tbIndex;
        obj.setStyle(polygonStyle(spec, index));
        obj.eachLayer(function (l) {
            var k = index[l.feature && l.feature.id];
            var tip = spec.tips && k !== undefined ? spec.tips[k] : null;
            if (!tip) { return; }
            if (l.getTooltip()) { l.setTooltipContent(tip); } else { l.bindTooltip(tip, tipOptions('polygons')); }
        });
    }

    /* ---- the legend: an HTML control, top left -------------------------------------- */
    function swatch(spec) {
        var c;
        if (spec.kind === 'points') { c = at(spec.color, 0); }
        else if (spec.kind === 'lines') { c = spec.color; }
        else if (spec.kind === 'polygons' && (spec.line || {}).width > 0) { c = spec.line.color; }
        else if (spec.kind === 'heat') {
            var keys = Object.keys(spec.gradient || {}).sort();
            c = keys.length ? spec.gradient[keys[keys.length - 1]] : '#ef4444';
        } else {
            c = (spec.fill || []).filter(Boolean)[0] || (spec.line || {}).color;
        }
        return '<span class="map-legend-swatch is-' + spec.kind + '" style="--c:' + (c || '#94a3b8') + '"></span>';
    }

    function esc(s) {
        return String(s === undefined || s === null ? '' : s).replace(/[&<>"]/g, function (ch) {
            return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[ch];
        });
    }

    function tick(v, format, lang) {
        if (v === null || v === undefined) { return ''; }
        if (format === '.0%') { return Math.round(v * 100) + '%'; }
        return new Intl.NumberFormat(NUMBER[lang] || 'zh-CN', {maximumFractionDigits: 1}).format(v);
    }

    function drawLegend(m, specs, lang) {
        var rows = [], seen = {}, scale = null;
        specs.forEach(function (s) {
            if (!s.visible) { return; }
            if (s.scale && !scale) { scale = s.scale; }
            if (s.showlegend === false || !s.name) { return; }
            var key = s.name + '|' + s.kind;
            if (seen[key]) { return; }
            seen[key] = true;
            rows.push('<div class="map-legend-row">' + swatch(s) + '<span>' + esc(s.name) + '</span></div>');
        });
        var html = rows.join('');
        if (scale) {
            var stops = (scale.stops || []).map(function (st) { return st[1] + ' ' + Math.round(st[0] * 100) + '%'; });
            html += '<div class="map-legend-scale"><div class="map-legend-title">' + esc(scale.title) + '</div>' +
                '<div class="map-legend-ramp" style="background:linear-gradient(to right,' + stops.join(',') +
                ')"></div><div class="map-legend-ticks"><span>' + tick(scale.min, scale.tickformat, lang) +
                '</span><span>' + tick(scale.max, scale.tickformat, lang) + '</span></div></div>';
        }
        if (html !== m.legendHtml) {
            m.legendHtml = html;
            m.legend.innerHTML = html;
            m.legend.hidden = !html;
        }
    }

    /* ---- names on the map: districts always, grids where they fit ---------------------
       Each name is an HTML label on its place (callbacks/wall_map.py: map_labels). After
       every zoom the districts are placed first, then the grids, and a label that would
       touch one already placed is hidden: the names never overlap, and more grids are
       named as the map zooms in (a focus case, a person zooming). */
    function drawLabels(m, labels) {
        var key = labels && (m.lang + ':' + (labels.districts || []).length + ':' + (labels.grids || []).length);
        if (!labels || m.labelKey === key) { return; }
        m.labelKey = key;
        if (m.labelLayer) { m.map.removeLayer(m.labelLayer); }
        m.labelLayer = L.layerGroup();
        m.labelMarks = [];
        ['districts', 'grids'].forEach(function (kind) {
            (labels[kind] || []).forEach(function (p) {
                var mk = L.marker([p[1], p[0]], {interactive: false, keyboard: false, pane: 'tb-labels',
                    icon: L.divIcon({className: 'map-label is-' + kind, html: '<span>' + esc(p[2]) + '</span>',
                                     iconSize: null})});
                mk._tbKind = kind;
                m.labelLayer.addLayer(mk);
                m.labelMarks.push(mk);
            });
        });
        m.labelLayer.addTo(m.map);
        placeLabels(m);
    }

    function placeLabels(m) {
        if (!m.labelMarks) { return; }
        var placed = [];
        var size = m.map.getSize();
        m.labelMarks.forEach(function (mk) {
            var el = mk.getElement();
            if (!el) { return; }
            el.style.visibility = 'hidden';
            var span = el.firstChild;
            var w = span.offsetWidth, h = span.offsetHeight;
            var p = m.map.latLngToContainerPoint(mk.getLatLng());
            var box = [p.x - w / 2 - 4, p.y - h / 2 - 2, p.x + w / 2 + 4, p.y + h / 2 + 2];
            var inside = box[0] >= 0 && box[1] >= 0 && box[2] <= size.x && box[3] <= size.y;
            var free = placed.every(function (b) {
                return box[2] < b[0] || box[0] > b[2] || box[3] < b[1] || box[1] > b[3];
            });
            if (inside && free) { placed.push(box); el.style.visibility = ''; }
        });
    }

    /* ---- the map ---------------------------------------------------------------------- */
    function create(el, spec) {
        var map = L.map(el, {preferCanvas: true, zoomControl: false, attributionControl: false,
                             zoomSnap: 0.1, zoomDelta: 0.5, wheelPxPerZoomLevel: 120, fadeAnimation: false,
                             boxZoom: false});
        el.style.background = spec.background || '#0b1a2a';
        // our vector layers under the heat map (Leaflet.heat draws in the overlay pane, 400)
        map.createPane('tb-vector').style.zIndex = 350;
        map.createPane('tb-live').style.zIndex = 460;
        map.getPane('tb-live').style.pointerEvents = 'none';
        map.createPane('tb-labels').style.zIndex = 450;
        map.getPane('tb-labels').style.pointerEvents = 'none';
        var m = {el: el, map: map, layers: {}, overlays: {}, order: [], moved: false, drawn: false,
                 renderer: L.canvas({pane: 'tb-vector', padding: 0.25}),
                 liveRenderer: L.canvas({pane: 'tb-live', padding: 0.25}),
                 bounds: spec.bounds, clickId: spec.click, tiles: null, legendHtml: null};
        if (spec.tiles) {
            // an intranet tile server (TOWNBRAIN_TILES), dimmed under our own layers
            m.tiles = L.tileLayer(spec.tiles, {opacity: 0.55, className: 'map-tiles', maxZoom: 19}).addTo(map);
        }
        map.fitBounds(spec.bounds, {padding: [24, 24], animate: false});
        if (spec.scale) {
            // the scale bar, bottom left: metres and kilometres (Leaflet's own control)
            // at most 10rem long: as legible on a 4K wall as at 1080p
            var rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
            L.control.scale({position: 'bottomleft', metric: spec.scale.metric !== false,
                             imperial: !!spec.scale.imperial, maxWidth: Math.round(10 * rem)}).addTo(map);
        }
        map.on('zoomend', function () { placeLabels(m); });
        map.on('dragstart zoomstart', function (ev) { if (!m.flying && ev.type === 'dragstart') { m.moved = true; } });
        map.on('click', function (ev) {
            if (!m.clickId || !window.dash_clientside || !window.dash_clientside.set_props) { return; }
            window.dash_clientside.set_props(m.clickId, {data: {
                points: [{lon: ev.latlng.lng, lat: ev.latlng.lat}], at: Date.now()}});
        });
        // The legend: the page's own element "<id>-legend" when it has one (the wall
        // keeps it in a row above the map, so it covers no part of the town), else a
        // Leaflet control in the top-left corner.
        m.legend = document.getElementById(el.id + '-legend');
        if (!m.legend) {
            var legend = L.control({position: 'topleft'});
            legend.onAdd = function () {
                var div = L.DomUtil.create('div', 'map-legend');
                div.hidden = true;
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            legend.addTo(map);
            m.legend = legend.getContainer();
        }
        if (window.ResizeObserver) {
            // the wall scales with its screen: keep the town in view unless someone moved the map
            m.resize = new ResizeObserver(function () {
                if (m.removed) { return; }  // a page drawn anew (another as_of, language) removed this map
                // a map with no size (its page is being swapped out) has no zoom to fit the town to:
                // fitBounds there gives NaN and Leaflet throws "Invalid LatLng (NaN, NaN)"
                if (!el.isConnected || !el.clientWidth || !el.clientHeight) { return; }
                map.invalidateSize({pan: false});
                if (!m.moved && !m.flying) { map.fitBounds(m.bounds, {padding: [24, 24], animate: false}); }
                placeLabels(m);
            });
            m.resize.observe(el);
        }
        return m;
    }

    function markDrawn(m) {
        m.drawn = false;
        var tick0 = ++m.tick;
        requestAnimationFrame(function () {
            requestAnimationFrame(function () { if (m.tick === tick0) { m.drawn = true; } });
        });
    }

    function sync(id, spec) {
        var el = document.getElementById(id);
        if (!el || !spec || !window.L) { return null; }
        var m = maps[id];
        if (!m || m.el !== el || !document.body.contains(m.el)) {
            if (m) {
                // the old container left the page: its observer fires once more as it
                // shrinks to nothing, and must not touch the removed map's panes
                m.removed = true;
                if (m.resize) { m.resize.disconnect(); }
                try { m.map.remove(); } catch (e) { /* the old container is gone */ }
            }
            m = maps[id] = create(el, spec);
            m.tick = 0;
        }
        m.lang = spec.lang;
        var added = false;
        var specs = spec.layers || [];
        specs.forEach(function (s) {
            var entry = m.layers[s.uid];
            if (!entry || entry.rev !== s.rev || entry.kind !== s.kind) {
                if (entry && entry.obj && m.map.hasLayer(entry.obj)) { m.map.removeLayer(entry.obj); }
                entry = m.layers[s.uid] = {kind: s.kind, rev: s.rev, meta: s.meta, n: count(s), visible: false,
                                           obj: count(s) ? build(m, s, m.renderer, 'tb-vector') : null};
            } else if (entry.meta !== s.meta) {
                recolour(entry, s);
                entry.meta = s.meta;
            }
            entry.slot = s.slot;
            entry.visible = !!s.visible;
            if (show(m, entry, entry.visible)) { added = true; }
        });
        m.order = specs.map(function (s) { return s.uid; });
        if (added) {
            // a layer shown again goes back to its place in the drawing order
            m.order.forEach(function (uid) {
                var e = m.layers[uid];
                if (e.visible && e.obj && e.obj.bringToFront && e.kind !== 'heat') { e.obj.bringToFront(); }
            });
        }
        drawLegend(m, specs, spec.lang);
        drawLabels(m, spec.labels);
        markDrawn(m);
        return m;
    }

    /* ---- the API --------------------------------------------------------------------- */
    window.TownMap = {
        get: function (id) { return maps[id] || null; },

        /* What is on the map, for the live feed, the tests and the benchmark. */
        state: function (id) {
            var m = maps[id];
            if (!m || !document.body.contains(m.el)) { return null; }
            var c = m.map.getCenter();
            return {
                drawn: m.drawn, moving: !!m.flying || !!m.map._animatingZoom, zoom: m.map.getZoom(),
                center: [c.lng, c.lat], legend: m.legend.textContent,
                layers: m.order.map(function (uid) {
                    var e = m.layers[uid];
                    return {uid: uid, slot: e.slot, kind: e.kind, visible: e.visible, n: e.n, meta: e.meta, rev: e.rev,
                            onMap: onMap(m, e)};
                }),
                overlays: Object.keys(m.overlays).reduce(function (o, uid) {
                    o[uid] = m.overlays[uid].n; return o;
                }, {})
            };
        },

        /* A layer the live feed owns (uid tb-live, tb-playback): spec as in layers/leaflet.py, or null. */
        overlay: function (id, uid, spec) {
            var m = maps[id];
            if (!m) { return; }
            var old = m.overlays[uid];
            if (old && old.obj) { m.map.removeLayer(old.obj); }
            delete m.overlays[uid];
            if (!spec) { return; }
            var obj = build(m, spec, m.liveRenderer, 'tb-live');
            if (!obj) { return; }
            m.overlays[uid] = {obj: obj, n: count(spec), spec: spec};
            obj.addTo(m.map);
            if (obj._canvas && obj._tbOpacity !== undefined) { obj._canvas.style.opacity = obj._tbOpacity; }
            markDrawn(m);
        },

        /* The spec an overlay was drawn from (its lon, lat …), or null. */
        overlaySpec: function (id, uid) {
            var m = maps[id];
            return m && m.overlays[uid] ? m.overlays[uid].spec : null;
        },

        /* Fly to a place (Leaflet zoom); the view before is kept for flyBack. */
        flyTo: function (id, lon, lat, zoom) {
            var m = maps[id];
            if (!m) { return; }
            if (!m.saved) { m.saved = {center: m.map.getCenter(), zoom: m.map.getZoom()}; }
            m.flying = true;
            m.map.once('moveend', function () { m.flying = false; markDrawn(m); });
            m.map.flyTo([lat, lon], zoom, {duration: 1.2});
        },

        flyBack: function (id) {
            var m = maps[id];
            if (!m || !m.saved) { return; }
            var v = m.saved;
            m.saved = null;
            m.flying = true;
            m.map.once('moveend', function () { m.flying = false; markDrawn(m); });
            m.map.flyTo(v.center, v.zoom, {duration: 1.0});
        },

        /* Page pixel of a place on the map. */
        project: function (id, lon, lat) {
            var m = maps[id];
            if (!m) { return null; }
            var p = m.map.latLngToContainerPoint([lat, lon]);
            var box = m.el.getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        },

        /* Page pixel inside a comprehensive grid, on the map and under no panel. */
        gridPoint: function (id) {
            var m = maps[id];
            if (!m) { return null; }
            var box = m.el.getBoundingClientRect();
            for (var i = 0; i < m.order.length; i++) {
                var e = m.layers[m.order[i]];
                if (e.slot !== 'grids' || !e.visible || !e.obj) { continue; }
                var found = null;
                e.obj.eachLayer(function (l) {
                    if (found) { return; }
                    var c = l.getCenter ? l.getCenter() : null;
                    if (!c) { return; }
                    var p = m.map.latLngToContainerPoint(c);
                    var px = box.left + p.x, py = box.top + p.y;
                    var hit = document.elementFromPoint(px, py);
                    if (hit && m.el.contains(hit) && hit.tagName === 'CANVAS') { found = [px, py, l.feature.id]; }
                });
                if (found) { return found; }
            }
            return null;
        }
    };

    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        townbrain_map: {
            draw: function (spec, id) {
                var m = sync(id, spec);
                return m ? m.tick : window.dash_clientside.no_update;
            }
        }
    });
})();
