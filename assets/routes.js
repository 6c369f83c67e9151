/* The page a URL asks for (callbacks/routes.py: page_key): [path, language, as_of].
   A module switch only changes ?module= of the URL; the server's router and the live
   overlay listen to this key, not to the URL, so a switch costs them no round trip.
   The first call (page load) always answers, as the router did before. */
(function () {
    var LANGS = ['zh', 'en'];   // callbacks/i18n.py: LANGS, DEFAULT_LANG first
    var answered = false;
    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        townbrain_routes: {
            pageWanted: function (pathname, search, shown) {
                var path = (pathname || '/').replace(/\/+$/, '') || '/';
                var params = new URLSearchParams(search || '');
                var lang = params.get('lang');
                var asOf = params.getAll('as_of').pop();   // the last one, as the server reads it
                asOf = asOf ? asOf.trim() : '';
                var key = [path, LANGS.indexOf(lang) >= 0 ? lang : LANGS[0], asOf || null];
                var same = shown && shown[0] === key[0] && shown[1] === key[1] && shown[2] === key[2];
                if (same && answered) { return window.dash_clientside.no_update; }
                answered = true;
                return key;
            }
        }
    });
})();
