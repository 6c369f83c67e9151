/* The live wall in the browser (callbacks/live.py): what each feed answer does to
   the screen, rotation through the modules, flying the map to a focus case, and the
   heat playback. The map is plotly's MapLibre subplot of ids.WALL_MAP; the traces
   added here carry the uids tb-live and tb-playback. */
(function () {
    var NO = function () { return window.dash_clientside.no_update; };
    var LIVE_KEEP_MS = 5 * 60 * 1000;   // a changed cell glows for five minutes
    var live = [];                      // [{lon, lat, n, t}]
    var focusTimer = null;
    var savedView = null;

    var mapId = null;                   // ids.WALL_MAP, from the first conf seen
    function graph(conf) {
        if (conf && conf.map) { mapId = conf.map; }
        var el = document.getElementById(conf && conf.map);
        var gd = el && (el.classList.contains('js-plotly-plot') ? el : el.querySelector('.js-plotly-plot'));
        return (gd && gd._fullLayout && window.Plotly) ? gd : null;
    }

    function traceIndex(gd, uid) {
        for (var i = 0; i < gd.data.length; i++) { if (gd.data[i].uid === uid) { return i; } }
        return -1;
    }

    /* Plotly calls on one map must not overlap (MapLibre would see a source added
       twice), so every change made here waits for the one before. */
    var queue = Promise.resolve();
    function later(op) {
        queue = queue.then(settled).then(op).catch(function () { /* a map replaced meanwhile: next call redraws */ });
        return queue;
    }

    /* Resolves when the MapLibre map under the figure has its style loaded and is not
       moving (or after 2 s): a trace added mid-update would add its source twice. */
    function settled() {
        return new Promise(function (resolve) {
            var t0 = Date.now();
            (function check() {
                var el = graph({map: mapId});
                var sub = el && el._fullLayout && el._fullLayout.map && el._fullLayout.map._subplot;
                var map = sub && sub.map;
                if (!map || (map.isStyleLoaded() && !map.isMoving()) || Date.now() - t0 > 2000) { resolve(); }
                else { setTimeout(check, 50); }
            })();
        });
    }

    /* Set the trace with this uid to ``trace`` (restyled in place when it exists),
       or remove it when ``trace`` is null. */
    function putTrace(conf, uid, trace) {
        return later(function () {
            var gd = graph(conf);
            if (!gd) { return null; }
            var i = traceIndex(gd, uid);
            if (!trace) { return i >= 0 ? window.Plotly.deleteTraces(gd, i) : null; }
            if (i >= 0 && gd.data[i].type === trace.type) {
                var update = {};
                Object.keys(trace).forEach(function (k) {
                    var v = trace[k];
                    if (k === 'marker') {
                        Object.keys(v).forEach(function (m) { update['marker.' + m] = [v[m]]; });
                    } else if (k !== 'type') { update[k] = [v]; }
                });
                return window.Plotly.restyle(gd, update, [i]);
            }
            if (i >= 0) { window.Plotly.deleteTraces(gd, i); }
            trace.uid = uid;
            return window.Plotly.addTraces(gd, trace);
        });
    }

    function relayout(conf, update) {
        return later(function () {
            var gd = graph(conf);
            return gd ? window.Plotly.relayout(gd, update) : null;
        });
    }

    function drawLive(conf, cells) {
        var now = Date.now();
        (cells || []).forEach(function (c) { live.push({lon: c[0], lat: c[1], n: c[2], t: now}); });
        live = live.filter(function (p) { return now - p.t < LIVE_KEEP_MS; });
        if (!live.length) { return; }
        putTrace(conf, 'tb-live', {
            type: 'scattermap', mode: 'markers', hoverinfo: 'skip', showlegend: false,
            lon: live.map(function (p) { return p.lon; }), lat: live.map(function (p) { return p.lat; }),
            marker: {
                size: live.map(function (p) { return 14 + 6 * Math.min(p.n, 5); }),
                color: '#f97316',
                opacity: live.map(function (p) { return 0.85 - 0.6 * (now - p.t) / LIVE_KEEP_MS; })
            }
        });
    }

    function searchWith(search, key, value) {
        var params = new URLSearchParams(search || '');
        params.set(key, value);
        return '?' + params.toString();
    }

    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        townbrain_live: {
            /* A feed answer: re-count the KPIs when something changed, stamp "data as
               of" (or mark it stale), glow the changed cells. */
            onFeed: function (feed, nRefresh, conf) {
                if (!feed) { return [NO(), NO(), NO()]; }
                if (!feed.ok) { return [NO(), NO(), 'as-of-value is-stale']; }
                if (feed.cells && feed.cells.length && graph(conf)) { drawLive(conf, feed.cells); }
                var bump = (feed.count > 0 || feed.overflow > 0 || feed.recovered) ? (nRefresh || 0) + 1 : NO();
                return [bump, feed.as_of_text, 'as-of-value'];
            },

            /* The case to fly to: the feed's, unless the map is on one already. */
            pickFocus: function (feed, focus, conf) {
                var busy = focus && focus.until && focus.until > Date.now();
                if (!feed || !feed.focus || busy || (focus && focus.case_id === feed.focus.case_id)) { return NO(); }
                return Object.assign({}, feed.focus, {zoom: conf.zoom, until: Date.now() + conf.focus_ms});
            },

            /* Fly the map to the focus case (plotly relayout of map.center/zoom), flash
               it, and fly back when its time is up; the card says what it is. */
            showFocus: function (focus, conf) {
                var gd = graph(conf);
                if (!focus || !focus.until) { return ['', true]; }
                var left = focus.until - Date.now();
                if (left <= 0) { return ['', true]; }
                if (gd) {
                    var m = gd._fullLayout.map;
                    if (!savedView && m) { savedView = {center: {lon: m.center.lon, lat: m.center.lat}, zoom: m.zoom}; }
                    relayout(conf, {'map.center': {lon: focus.lon, lat: focus.lat}, 'map.zoom': focus.zoom});
                    // The flash is an HTML ring over the case, pulsing in CSS: restyling a
                    // map trace twice a second would rebuild its MapLibre source each time.
                    var ring = document.getElementById(conf.ring);
                    var place = function () {
                        var g = graph(conf);
                        var sub = g && g._fullLayout.map && g._fullLayout.map._subplot;
                        if (!ring || !sub || !sub.map) { return; }
                        var p = sub.map.project([focus.lon, focus.lat]);
                        var box = sub.map.getContainer().getBoundingClientRect();
                        ring.style.left = (box.left + p.x) + 'px';
                        ring.style.top = (box.top + p.y) + 'px';
                        ring.hidden = false;
                    };
                    later(place);
                    if (focusTimer) { clearInterval(focusTimer); }
                    focusTimer = setInterval(function () {
                        if (Date.now() < focus.until) { place(); return; }
                        clearInterval(focusTimer); focusTimer = null;
                        if (ring) { ring.hidden = true; }
                        if (savedView) { relayout(conf, {'map.center': savedView.center, 'map.zoom': savedView.zoom}); }
                        savedView = null;
                        var card = document.getElementById(conf.card);
                        if (card) { card.hidden = true; }
                    }, 250);
                }
                return [focus.text || focus.case_id, false];
            },

            rotationConf: function (pathname, search) {
                var path = (pathname || '/').replace(/\/+$/, '') || '/';
                var secs = parseInt(new URLSearchParams(search || '').get('rotate'), 10);
                var on = (path === '/' || path === '/wall') && secs > 0;
                return [on ? secs * 1000 : 60000, !on];
            },

            /* Next module, unless the map is showing a focus case. The position is
               kept in its own store: ticks that pile up on a busy page would all read
               the same URL and step to the same module. */
            rotate: function (_n, search, pos, focus, conf) {
                if (focus && focus.until && focus.until > Date.now()) { return [NO(), NO()]; }
                var mods = conf.modules;
                if (pos === null || pos === undefined) {
                    pos = mods.indexOf(new URLSearchParams(search || '').get('module'));
                }
                var next = (pos + 1) % mods.length;
                return [searchWith(search, 'module', mods[next]), next];
            },

            /* Play / pause, back to live, and one day per timer tick. */
            playback: function (_play, _stop, _tick, value, disabled, conf) {
                var trig = (window.dash_clientside.callback_context.triggered || [])
                    .map(function (t) { return t.prop_id; }).join(' ');
                var last = conf.live_pos;
                if (trig.indexOf(conf.stop + '.') >= 0) { return [last, true]; }
                if (trig.indexOf(conf.play + '.') >= 0) {
                    if (!disabled) { return [NO(), true]; }                 // pause
                    return [(value === null || value >= last) ? 0 : value, false];
                }
                if (disabled) { return [NO(), NO()]; }
                var next = (value === null ? 0 : value + 1);
                return next >= last ? [last, true] : [next, false];
            },

            /* The playback day as a density trace on the map; none when live. */
            drawPlayback: function (frame, disabled, conf) {
                if (graph(conf)) {
                    if (!frame) {
                        putTrace(conf, 'tb-playback', null);
                    } else {
                        putTrace(conf, 'tb-playback', {
                            type: 'densitymap', hoverinfo: 'skip', showlegend: false, showscale: false,
                            lon: frame.cells.map(function (c) { return c[0]; }),
                            lat: frame.cells.map(function (c) { return c[1]; }),
                            z: frame.cells.map(function (c) { return c[2]; }),
                            zmin: 0, zmax: Math.max(1, frame.zmax * 0.6), radius: 22,
                            colorscale: [[0, 'rgba(56,189,248,0)'], [0.3, 'rgba(56,189,248,0.6)'],
                                         [0.6, 'rgba(250,204,21,0.85)'], [1, 'rgba(239,68,68,0.95)']]
                        });
                    }
                }
                return (frame && disabled === false) ? 'playback-btn is-playing' : 'playback-btn';
            }
        }
    });
})();
