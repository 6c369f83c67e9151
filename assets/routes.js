/* The page a URL asks for (callbacks/routes.py): [path, language]. A module switch
   only changes ?module= of the URL; the server's router and the live overlay listen
   to this key, not to the URL, so a switch costs them no round trip. The first call
   (page load) always answers, as the router did before. */
(function () {
    var LANGS = ['zh', 'en'];   // callbacks/i18n.py: LANGS, DEFAULT_LANG first
    var answered = false;
    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        townbrain_routes: {
            pageWanted: function (pathname, search, shown) {
                var path = (pathname || '/').replace(/\/+$/, '') || '/';
                var lang = new URLSearchParams(search || '').get('lang');
                var key = [path, LANGS.indexOf(lang) >= 0 ? lang : LANGS[0]];
                var same = shown && shown[0] === key[0] && shown[1] === key[1];
                if (same && answered) { return window.dash_clientside.no_update; }
                answered = true;
                return key;
            }
        }
    });
})();
