/* The duty console's links (callbacks/console_view.py: nav). The table, lists, rankings
   and case detail arrive as HTML fragments (callbacks/fragments.py), so their links are
   plain <a>: a click on one that stays on /console is followed in the page the way
   dcc.Link does — pushed to the history and announced to the dcc.Location components —
   instead of loading the page again. A click with a modifier key (a new tab) is left
   to the browser. */
(function () {
    document.addEventListener('click', function (ev) {
        if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) {
            return;
        }
        var a = ev.target && ev.target.closest ? ev.target.closest('a[href]') : null;
        if (!a || !a.closest('.console-page') || a.target) { return; }
        var url = new URL(a.href, window.location.href);
        if (url.origin !== window.location.origin || url.pathname.replace(/\/$/, '') !== '/console') { return; }
        ev.preventDefault();
        if (url.href === window.location.href) { return; }
        window.history.pushState({}, '', url.pathname + url.search);
        window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'));
    });
})();
