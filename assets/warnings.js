/* The wall's warnings list (callbacks/wall_warnings.py): surges and hot spots from
   the server (ids.WARNINGS_DATA), each with a button that acknowledges it in this
   browser (ids.WARNINGS_ACK, a dcc.Store in local storage). Open warnings first,
   acknowledged ones after them, dimmed; the title counts the open ones. */
(function () {
    var LIST = 'warnings-list', ACK = 'warnings-ack';   // ids.WARNINGS_LIST, ids.WARNINGS_ACK
    var acked = [];

    function esc(s) {
        return String(s === undefined || s === null ? '' : s).replace(/[&<>"]/g, function (ch) {
            return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[ch];
        });
    }

    /* Whole rows only: a row that would be cut at the foot of the panel is hidden
       (its warning is still counted in the title). */
    function fit(ul) {
        var rows = ul.children;
        for (var i = 0; i < rows.length; i++) { rows[i].hidden = false; }
        var bottom = ul.getBoundingClientRect().bottom;
        var cut = false;
        for (var j = 0; j < rows.length; j++) {
            cut = cut || rows[j].getBoundingClientRect().bottom > bottom + 0.5;
            rows[j].hidden = cut;
        }
    }
    window.addEventListener('resize', function () {
        var ul = document.getElementById(LIST);
        if (ul) { fit(ul); }
    });

    document.addEventListener('click', function (ev) {
        var btn = ev.target && ev.target.closest ? ev.target.closest('.warning-ack') : null;
        if (!btn || !window.dash_clientside || !window.dash_clientside.set_props) { return; }
        var id = btn.getAttribute('data-warning');
        if (acked.indexOf(id) < 0) {
            window.dash_clientside.set_props(ACK, {data: acked.concat([id]).slice(-500)});
        }
    });

    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        townbrain_warnings: {
            draw: function (warnings, ack) {
                var ul = document.getElementById(LIST);
                acked = ack || [];
                if (!ul) { return window.dash_clientside.no_update; }
                var all = warnings || [];
                var open = all.filter(function (w) { return acked.indexOf(w.id) < 0; });
                var done = all.filter(function (w) { return acked.indexOf(w.id) >= 0; });
                var row = function (w, isDone) {
                    return '<li class="warning is-' + esc(w.kind) + (isDone ? ' is-acked' : '') + '" title="' +
                        esc(w.title) + '" data-warning="' + esc(w.id) + '"><span class="warning-text">' +
                        esc(w.text) + '</span>' + (isDone
                            ? '<span class="warning-done">' + esc(ul.dataset.acked) + '</span>'
                            : '<button class="warning-ack" data-warning="' + esc(w.id) + '">' +
                              esc(ul.dataset.ack) + '</button>') + '</li>';
                };
                var html = all.length ? open.map(function (w) { return row(w, false); }).join('') +
                    done.map(function (w) { return row(w, true); }).join('')
                    : '<li class="warning is-empty">' + esc(ul.dataset.none) + '</li>';
                if (ul._tbHtml !== html) { ul.innerHTML = html; ul._tbHtml = html; }
                fit(ul);
                return open.length ? String(open.length) : '';
            }
        }
    });
})();
