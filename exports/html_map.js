/* TownBrain offline map: draws the JSON in #tb-data with Leaflet on a Canvas 2D renderer.
 * Nothing is fetched: no tiles, no fonts, no icons. Every text from the data goes into the
 * page through textContent (never innerHTML), so a name such as <img onerror=...> stays text. */
(function () {
    'use strict';
    var data = JSON.parse(document.getElementById('tb-data').textContent);
    var t0 = performance.now();

    function el(tag, cls, text) {
        var e = document.createElement(tag);
        if (cls) { e.className = cls; }
        if (text !== undefined && text !== null) { e.textContent = String(text); }
        return e;
    }
    function tip(rows) {
        /* rows: [[label, value], ...]; the first row with an empty label is the heading */
        var box = el('div', 'tb-tip');
        rows.forEach(function (r) {
            if (r[1] === null || r[1] === undefined || r[1] === '') { return; }
            var line = el('div', r[0] ? 'tb-tip-row' : 'tb-tip-head');
            if (r[0]) { line.appendChild(el('span', 'tb-tip-key', r[0] + ' ')); }
            line.appendChild(el('span', 'tb-tip-val', r[1]));
            box.appendChild(line);
        });
        return box;
    }
    function rowsOf(props, fields) {
        return fields.map(function (f) { return [f[1], props[f[0]]]; });
    }

    var map = L.map('tb-map', {preferCanvas: true, zoomSnap: 0.25, attributionControl: false,
                               renderer: L.canvas({padding: 0.3})});
    window.__tbMap = map;  /* for a test or a curious analyst in the console */
    var overlays = [];
    function addOverlay(name, layer, on) {
        overlays.push({name: name, layer: layer});
        if (on) { layer.addTo(map); }
    }

    data.layers.forEach(function (spec) {
        var group;
        if (spec.kind === 'polygons') {
            group = L.geoJSON(spec.geojson, {
                style: function (f) {
                    var p = f.properties;
                    return {color: spec.line.color, weight: spec.line.width, fillColor: p._fill || 'transparent',
                            fillOpacity: p._fill ? spec.fillOpacity : 0, opacity: spec.line.opacity || 1};
                },
                onEachFeature: function (f, layer) {
                    if (spec.tip) { layer.bindTooltip(tip(rowsOf(f.properties, spec.tip)), {sticky: true}); }
                }
            });
        } else if (spec.kind === 'lines') {
            group = L.geoJSON(spec.geojson, {
                style: function (f) {
                    var w = spec.widths && f.properties._w !== undefined ? f.properties._w : spec.width;
                    return {color: f.properties._c || spec.color, weight: w, opacity: spec.opacity, fill: false};
                },
                onEachFeature: function (f, layer) {
                    if (spec.tip) { layer.bindTooltip(tip(rowsOf(f.properties, spec.tip)), {sticky: true}); }
                }
            });
        } else if (spec.kind === 'points') {
            group = L.layerGroup();
            var cols = spec.columns, xi = cols.indexOf('_x'), yi = cols.indexOf('_y'), ci = cols.indexOf('_c');
            spec.rows.forEach(function (row) {
                var m = L.circleMarker([row[yi], row[xi]], {radius: spec.radius, weight: 1, color: '#ffffff',
                                                            fillColor: ci >= 0 ? row[ci] : spec.color,
                                                            fillOpacity: 0.9});
                if (spec.tip) {
                    var props = {};
                    cols.forEach(function (c, i) { props[c] = row[i]; });
                    m.bindTooltip(tip(rowsOf(props, spec.tip)));
                }
                group.addLayer(m);
            });
        } else if (spec.kind === 'heat') {
            group = L.heatLayer(spec.points, {radius: spec.radius, blur: spec.radius * 1.2, minOpacity: 0.05,
                                              max: spec.max, gradient: spec.gradient});
        }
        if (group) { addOverlay(spec.name, group, spec.visible !== false); }
    });

    var b = data.bounds;
    map.fitBounds([[b[1], b[0]], [b[3], b[2]]], {padding: [12, 12]});
    L.control.scale({imperial: false, position: 'bottomleft'}).addTo(map);

    /* the panel: title, period, legend, layer switches */
    var panel = document.getElementById('tb-panel');
    panel.appendChild(el('h1', null, data.title));
    panel.appendChild(el('div', 'tb-sub', data.subtitle));
    (data.legends || (data.legend ? [data.legend] : [])).forEach(function (legend) {
        var lg = el('div', 'tb-legend');
        lg.appendChild(el('div', 'tb-legend-title', legend.title));
        legend.classes.forEach(function (c) {
            var row = el('div', 'tb-legend-row');
            var sw = el('span', 'tb-swatch');
            sw.style.background = c[0];
            row.appendChild(sw);
            row.appendChild(el('span', null, c[1]));
            lg.appendChild(row);
        });
        panel.appendChild(lg);
    });
    var sw = el('div', 'tb-switches');
    overlays.forEach(function (o) {
        var lab = el('label', 'tb-switch');
        var box = document.createElement('input');
        box.type = 'checkbox';
        box.checked = map.hasLayer(o.layer);
        box.addEventListener('change', function () {
            if (box.checked) { o.layer.addTo(map); } else { map.removeLayer(o.layer); }
        });
        lab.appendChild(box);
        lab.appendChild(el('span', null, o.name));
        sw.appendChild(lab);
    });
    panel.appendChild(sw);
    panel.appendChild(el('div', 'tb-foot', data.footer));

    /* drawn: after the next two frames every canvas has painted */
    requestAnimationFrame(function () {
        requestAnimationFrame(function () {
            window.__tbDrawn = performance.now();
            window.__tbDrawMs = performance.now() - t0;
            document.body.setAttribute('data-drawn', String(Math.round(window.__tbDrawn)));
        });
    });
})();
