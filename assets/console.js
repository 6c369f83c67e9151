/* The duty console's links (callbacks/console_view.py: nav). The table, lists, rankings
   and case detail arrive as HTML fragments (callbacks/fragments.py), so their links are
   plain <a>: a click on one that stays on /console (under the app's path prefix, if
   any) is followed in the page the way dcc.Link does — pushed to the history and
   announced to the dcc.Location components — instead of loading the page again. A click with a modifier key (a new tab) is left
   to the browser. */
(function () {
    // the order of callbacks/console_state.py: state_to_search (its canonical form)
    var ORDER = ['lang', 'period', 'from', 'to', 'cat', 'status', 'source', 'district', 'grid', 'overdue', 'q',
                 'sort', 'dir', 'page', 'case', 'as_of'];

    /* The prefix the browser reaches the app under (/user/<name>/proxy/<port> behind
       JupyterHub's proxy; empty at the root): Dash's requests prefix, from the page's
       own configuration, which the server writes per request. */
    function base() {
        var el = document.getElementById('_dash-config');
        var p = '/';
        try { p = (el && JSON.parse(el.textContent).requests_pathname_prefix) || '/'; } catch (e) { p = '/'; }
        return p.replace(/\/$/, '');
    }

    /* The app's own path of an address's path, as callbacks/paths.py local_path takes it:
       the prefix off, no trailing slash. A link the server wrote (/console?…) has none. */
    function localPath(pathname) {
        var b = base(), path = pathname || '/';
        if (b && (path === b || path.indexOf(b + '/') === 0)) { path = path.slice(b.length); }
        return path.replace(/\/$/, '') || '/';
    }

    /* The URL of now with a link's change (data-patch: parameters to set, empty to drop):
       a list not redrawn since the last page or sort still changes only what it says. */
    function patched(patch) {
        var q = new URLSearchParams(window.location.search);
        new URLSearchParams(patch).forEach(function (v, k) { if (v === '') { q.delete(k); } else { q.set(k, v); } });
        var out = new URLSearchParams();
        ORDER.forEach(function (k) { if (q.has(k)) { out.set(k, q.get(k)); } });
        q.forEach(function (v, k) { if (ORDER.indexOf(k) < 0) { out.append(k, v); } });
        var s = out.toString();
        return base() + '/console' + (s ? '?' + s : '');
    }

    document.addEventListener('click', function (ev) {
        if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) {
            return;
        }
        var a = ev.target && ev.target.closest ? ev.target.closest('a[href]') : null;
        if (!a || !a.closest('.console-page') || a.target) { return; }
        var url = new URL(a.href, window.location.href);
        if (url.origin !== window.location.origin || localPath(url.pathname) !== '/console') { return; }
        ev.preventDefault();
        // the address stays under the prefix: a reload, or the next link, still reaches the app
        var next = a.hasAttribute('data-patch') ? patched(a.getAttribute('data-patch'))
            : base() + '/console' + url.search;
        if (next === window.location.pathname + window.location.search) { return; }
        window.history.pushState({}, '', next);
        window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'));
    });
})();

/* What the rankings and the case detail depend on, taken from the URL in the page
   (callbacks/console.py): the stores change only when their part of the URL does, so a
   page, a sort or a status filter sends the rankings no request, and only a new case
   reads a case. The parameters are those of callbacks/console_state.py. */
(function () {
    var RANK = ['lang', 'period', 'from', 'to', 'district', 'grid', 'as_of'];
    var CASE = ['lang', 'case', 'as_of'];

    function key(search, names) {
        var q = new URLSearchParams(search || '');
        return names.map(function (n) { return n + '=' + (q.getAll(n).join(',')); }).join('&');
    }

    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        townbrain_console: {
            keys: function (search, rank, kase) {
                var nu = window.dash_clientside.no_update;
                var r = key(search, RANK), c = key(search, CASE);
                return [r === rank ? nu : r, c === kase ? nu : c];
            }
        }
    });
})();
