/* The wall's map layer control (callbacks/modules.py, styled in assets/wall.css) is
   folded to its title by default: an unattended wall shows the map, not switches.
   A click on the title unfolds or folds it. One listener on the document, so it
   keeps working when Dash redraws the control on a module switch. */
(function () {
    document.addEventListener('click', function (ev) {
        var title = ev.target && ev.target.closest ? ev.target.closest('.map-control > .map-control-title') : null;
        if (!title || title !== title.parentElement.firstElementChild) { return; }
        title.parentElement.classList.toggle('is-open');
    });
})();
