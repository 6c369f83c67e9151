/* The title bar's Export control (callbacks/export_panel.py): post the choice (the fields
 * the chosen kind shows) and the page's query string to /export/jobs (exports/web.py), poll the job, show its
 * progress, then offer the file. Plain DOM on a container React keeps no children in;
 * listeners on the document, so a page redrawn by Dash needs nothing re-attached. */
(function () {
    'use strict';
    var POLL_MS = 400;

    function texts(panel) {
        try { return JSON.parse(panel.getAttribute('data-texts') || '{}'); } catch (e) { return {}; }
    }

    function say(panel, build) {
        var box = panel.querySelector('.export-status');
        while (box.firstChild) { box.removeChild(box.firstChild); }
        build(box);
    }

    function line(box, text, cls) {
        var p = document.createElement('div');
        p.className = cls || 'export-line';
        p.textContent = text;
        box.appendChild(p);
        return p;
    }

    function progress(panel, st) {
        var tx = texts(panel);
        say(panel, function (box) {
            line(box, st.state === 'queued' ? tx.queued : tx.working);
            var bar = document.createElement('progress');
            bar.className = 'export-progress';
            bar.max = 1;
            if (st.progress !== null && st.progress !== undefined) { bar.value = st.progress; }
            box.appendChild(bar);
        });
    }

    function done(panel, st, fileUrl) {
        var tx = texts(panel);
        var what = st.records !== null && st.records !== undefined
            ? (tx.records || '{n}').replace('{n}', st.records.toLocaleString())
            : (tx.pages || '{n}').replace('{n}', st.pages);
        say(panel, function (box) {
            line(box, (tx.done || '{records}').replace('{records}', what), 'export-line export-ok');
            var a = document.createElement('a');
            a.id = 'export-download';
            a.className = 'export-download';
            a.href = fileUrl;
            a.setAttribute('download', st.file || '');
            a.textContent = tx.download + (st.file ? ' · ' + st.file : '');
            a.addEventListener('click', function () {
                setTimeout(function () { a.removeAttribute('href'); a.textContent = tx.downloaded; }, 0);
            });
            box.appendChild(a);
        });
        panel.removeAttribute('data-busy');
    }

    function failed(panel, why) {
        var tx = texts(panel);
        say(panel, function (box) {
            line(box, (tx.failed || '{why}').replace('{why}', why), 'export-line export-error');
        });
        panel.removeAttribute('data-busy');
    }

    function poll(panel, job) {
        fetch(job.status, {credentials: 'same-origin', cache: 'no-store'})
            .then(function (r) { return r.json(); })
            .then(function (st) {
                if (st.state === 'done') { done(panel, st, job.file); return; }
                if (st.state === 'failed' || st.error) { failed(panel, st.message || st.error); return; }
                progress(panel, st);
                setTimeout(function () { poll(panel, job); }, POLL_MS);
            })
            .catch(function (e) { failed(panel, String(e)); });
    }

    /* a field serves some kinds of export only ("only for-map …"): sent when it shows */
    function serves(select, kind) {
        var field = select.closest('.export-field');
        return !field || !field.classList.contains('only') || field.classList.contains('for-' + kind);
    }

    /* the wall's layers: those of the module in the URL (its default when none or unknown) */
    function syncLayers(panel) {
        var select = panel.querySelector('select[name="layer"]');
        if (!select) { return; }
        var opts = Array.prototype.slice.call(select.options);
        var known = {};
        opts.forEach(function (o) {
            (o.getAttribute('data-modules') || '').split(' ').forEach(function (m) { known[m] = true; });
        });
        var m = new URLSearchParams(window.location.search).get('module');
        if (!m || !known[m]) { m = panel.getAttribute('data-default-module'); }
        opts.forEach(function (o) {
            var on = (' ' + (o.getAttribute('data-modules') || '') + ' ').indexOf(' ' + m + ' ') >= 0;
            o.hidden = !on;
            o.disabled = !on;
        });
        if (select.selectedOptions.length === 0 || select.selectedOptions[0].disabled) {
            var first = opts.filter(function (o) { return !o.disabled; })[0];
            if (first) { select.value = first.value; }
        }
    }

    function start(panel) {
        if (panel.getAttribute('data-busy')) { return; }
        syncLayers(panel);
        var kind = panel.getAttribute('data-kind');
        var body = {page: panel.getAttribute('data-page'), search: window.location.search};
        panel.querySelectorAll('select[name]').forEach(function (s) {
            if (serves(s, kind)) { body[s.name] = s.value; }
        });
        panel.setAttribute('data-busy', '1');
        progress(panel, {state: 'queued', progress: null});
        fetch((panel.getAttribute('data-base') || '/') + 'export/jobs', {
            method: 'POST', credentials: 'same-origin', cache: 'no-store',
            headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)
        })
            .then(function (r) { return r.json(); })
            .then(function (job) {
                if (!job.job) { failed(panel, job.error || 'refused'); return; }
                poll(panel, job);
            })
            .catch(function (e) { failed(panel, String(e)); });
    }

    document.addEventListener('change', function (e) {
        var t = e.target;
        if (t && t.name === 'kind' && t.closest) {
            var panel = t.closest('.export-panel');
            if (panel) { panel.setAttribute('data-kind', t.value); syncLayers(panel); }
        }
    });
    /* opening the control: the layers of the module on screen now (the wall changes module in place) */
    document.addEventListener('toggle', function (e) {
        var d = e.target;
        if (d && d.open && d.querySelector) {
            var panel = d.querySelector('.export-panel');
            if (panel) { syncLayers(panel); }
        }
    }, true);
    document.addEventListener('click', function (e) {
        var btn = e.target && e.target.closest ? e.target.closest('.export-go') : null;
        if (!btn) { return; }
        var panel = btn.closest('.export-panel');
        if (panel) { e.preventDefault(); start(panel); }
    });
})();
