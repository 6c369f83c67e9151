/* The title-bar clock, ticked in the browser by a clientside callback
   (callbacks/routes.py), in the town's zone whatever the browser's own zone is. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    townbrain: {
        tick: function (_n, conf) {
            var tz = (conf && conf.tz) || 'Asia/Shanghai';
            var en = conf && conf.lang === 'en';
            var now = new Date();
            var time = new Intl.DateTimeFormat(en ? 'en-GB' : 'zh-CN', {
                timeZone: tz, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false
            }).format(now);
            var date = new Intl.DateTimeFormat(en ? 'en-GB' : 'zh-CN', {
                timeZone: tz, year: 'numeric', month: 'long', day: 'numeric', weekday: 'long'
            }).format(now);
            return [time, date];
        }
    }
});
