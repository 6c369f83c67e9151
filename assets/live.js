/* The live wall in the browser (callbacks/live.py): what each feed answer does to
   the screen, rotation through the modules, flying the map to a focus case, and the
   heat playback. The map is assets/map.js's Leaflet map in ids.WALL_MAP; the
   overlays added here carry the uids tb-live and tb-playback. */
(function () {
    var NO = function () { return window.dash_clientside.no_update; };
    var LIVE_KEEP_MS = 5 * 60 * 1000;   // a changed cell glows for five minutes
    var live = [];                      // [{lon, lat, n, t}]
    var focusTimer = null;
    var ROTATE_TICK_MS = 500;
    // the module on screen and since when (ms): the rotation's position, taken from the
    // URL, so a click or Back moves it; any change of the URL restarts the period
    var rotation = {module: null, since: null};
    /* The app's own path of a pathname: the requests prefix the page is served under
       (/user/<name>/proxy/<port>/ behind JupyterHub) taken off (callbacks/paths.py). */
    function localPath(pathname) {
        var el = document.getElementById('_dash-config');
        var prefix = ((el && JSON.parse(el.textContent).requests_pathname_prefix) || '/').replace(/\/+$/, '');
        var path = pathname || '/';
        if (prefix && (path === prefix || path.indexOf(prefix + '/') === 0)) { path = path.slice(prefix.length); }
        return path.replace(/\/+$/, '') || '/';
    }
    function urlChanged() {
        var m = new URLSearchParams(window.location.search).get('module');
        if (rotation.since !== null && m !== rotation.module) { rotation.module = m; rotation.since = Date.now(); }
    }
    window.addEventListener('_dashprivate_pushstate', urlChanged);
    window.addEventListener('popstate', urlChanged);

    /* The map is assets/map.js's Leaflet map in ids.WALL_MAP (conf.map). */
    function map(conf) {
        return (conf && window.TownMap && window.TownMap.get(conf.map)) ? window.TownMap : null;
    }

    function drawLive(conf, cells) {
        var now = Date.now();
        (cells || []).forEach(function (c) { live.push({lon: c[0], lat: c[1], n: c[2], t: now}); });
        live = live.filter(function (p) { return now - p.t < LIVE_KEEP_MS; });
        if (!live.length) { return; }
        map(conf).overlay(conf.map, 'tb-live', {
            kind: 'points', color: '#f97316',
            lon: live.map(function (p) { return p.lon; }), lat: live.map(function (p) { return p.lat; }),
            size: live.map(function (p) { return 14 + 6 * Math.min(p.n, 5); }),
            opacity: live.map(function (p) { return 0.85 - 0.6 * (now - p.t) / LIVE_KEEP_MS; })
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
                if (feed.cells && feed.cells.length && map(conf)) { drawLive(conf, feed.cells); }
                var bump = (feed.count > 0 || feed.overflow > 0 || feed.recovered) ? (nRefresh || 0) + 1 : NO();
                return [bump, feed.as_of_text, 'as-of-value'];
            },

            /* The case to fly to: the feed's, unless the map is on one already. */
            pickFocus: function (feed, focus, conf) {
                var busy = focus && focus.until && focus.until > Date.now();
                if (!feed || !feed.focus || busy || (focus && focus.case_id === feed.focus.case_id)) { return NO(); }
                return Object.assign({}, feed.focus, {zoom: conf.zoom, until: Date.now() + conf.focus_ms});
            },

            /* Fly the map to the focus case, flash it, and fly back when its time is
               up; the card says what it is. */
            showFocus: function (focus, conf) {
                var tm = map(conf);
                if (!focus || !focus.until) { return ['', true]; }
                var left = focus.until - Date.now();
                if (left <= 0) { return ['', true]; }
                if (tm) {
                    tm.flyTo(conf.map, focus.lon, focus.lat, focus.zoom);
                    // The flash is an HTML ring over the case, pulsing in CSS, kept over
                    // the case while the map flies.
                    var ring = document.getElementById(conf.ring);
                    var place = function () {
                        var p = tm.project(conf.map, focus.lon, focus.lat);
                        if (!ring || !p) { return; }
                        ring.style.left = p[0] + 'px';
                        ring.style.top = p[1] + 'px';
                        ring.hidden = false;
                    };
                    place();
                    if (focusTimer) { clearInterval(focusTimer); }
                    focusTimer = setInterval(function () {
                        if (Date.now() < focus.until) { place(); return; }
                        clearInterval(focusTimer); focusTimer = null;
                        if (ring) { ring.hidden = true; }
                        tm.flyBack(conf.map);
                        var card = document.getElementById(conf.card);
                        if (card) { card.hidden = true; }
                    }, 100);
                }
                return [focus.text || focus.case_id, false];
            },

            /* The rotation's clock: a tick a few times per period, so a step comes on
               time after the module last changed (callbacks/live.py: rotation). */
            rotationConf: function (pathname, search) {
                var path = localPath(pathname);
                var secs = parseInt(new URLSearchParams(search || '').get('rotate'), 10);
                var on = (path === '/' || path === '/wall') && secs > 0;
                return [on ? Math.min(ROTATE_TICK_MS, secs * 250) : 60000, !on];
            },

            /* Next module once the current one has been on screen for the period,
               unless the map is showing a focus case. The position is the URL's own
               ?module=, whoever set it: a click on a tab (or Back) moves the rotation
               there and restarts its period. A step is made the way a dcc.Link makes
               a click, so every dcc.Location of the page (the wall's own, which the
               title, panels and map follow) hears of it. */
            rotate: function (_n, focus, conf) {
                var params = new URLSearchParams(window.location.search);
                var secs = parseInt(params.get('rotate'), 10);
                var path = localPath(window.location.pathname);
                if (!(secs > 0) || (path !== '/' && path !== '/wall')) { return NO(); }
                var now = Date.now();
                var m = params.get('module');
                if (rotation.since === null || rotation.module !== m) {
                    rotation.module = m; rotation.since = now;   // first tick, or a change not ours
                    return NO();
                }
                var busy = focus && focus.until && focus.until > now;
                if (busy || now - rotation.since < secs * 1000) { return NO(); }
                var mods = conf.modules;
                var next = mods[(mods.indexOf(m) + 1) % mods.length];
                window.history.pushState({}, '', window.location.pathname + searchWith(window.location.search,
                                                                                          'module', next));
                window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'));
                rotation.module = next; rotation.since = now;
                return {module: next, at: now};
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

            /* The playback day as a heat layer on the map; none when live. */
            drawPlayback: function (frame, disabled, conf) {
                var tm = map(conf);
                if (tm) {
                    tm.overlay(conf.map, 'tb-playback', !frame ? null : {
                        kind: 'heat', radius: 14, opacity: 0.85,
                        lon: frame.cells.map(function (c) { return c[0]; }),
                        lat: frame.cells.map(function (c) { return c[1]; }),
                        z: frame.cells.map(function (c) { return c[2]; }),
                        max: Math.max(1, frame.zmax * 0.6),
                        gradient: {'0.3': 'rgba(56,189,248,0.6)', '0.6': 'rgba(250,204,21,0.85)',
                                   '1': 'rgba(239,68,68,0.95)'}
                    });
                }
                return (frame && disabled === false) ? 'playback-btn is-playing' : 'playback-btn';
            }
        }
    });
})();
