// Sections below the fold are drawn when they come into view (dashboard/components/layout.py,
// when_seen): each holds a `seen` store, set here once the section is in view (or within
// MARGIN of it) while the page has nothing loading; the section's callbacks wait for it. A page
// mounts before its content arrives, so a section near the top at first may be pushed down by
// what loads above it: hence the look again once nothing loads. A section seen once then
// follows the filters as usual.
(function () {
    const MARGIN = 150;  // px around the viewport
    const LOOK_AGAIN = 300;  // ms
    const LOOKS = 40;  // then it counts as seen if in view, loading or not
    function inView(section) {
        const box = section.getBoundingClientRect();
        return box.width > 0 && box.top < window.innerHeight + MARGIN && box.bottom > -MARGIN;
    }
    function loading() {
        return document.querySelector("[data-dash-is-loading='true']") !== null;
    }
    function look(section, looks) {
        if (section.dataset.seen || !window.dash_clientside) { return; }
        if (!inView(section)) { return; }
        if (loading() && looks < LOOKS) {
            section.seenTimer = setTimeout(function () { look(section, looks + 1); }, LOOK_AGAIN);
            return;
        }
        section.dataset.seen = 'yes';
        observer.unobserve(section);
        window.dash_clientside.set_props(section.dataset.seenStore, {data: true});
    }
    const observer = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
            clearTimeout(entry.target.seenTimer);
            if (entry.isIntersecting) {
                entry.target.seenTimer = setTimeout(function () { look(entry.target, 0); }, LOOK_AGAIN);
            }
        });
    }, {rootMargin: MARGIN + 'px 0px'});
    function watch(node) {
        if (node.nodeType !== 1 || node instanceof SVGElement) { return; }
        const found = node.matches('[data-seen-store]') ? [node] : [];
        node.querySelectorAll('[data-seen-store]').forEach(function (section) {
            found.push(section);
        });
        found.forEach(function (section) {
            if (!section.dataset.watched) {
                section.dataset.watched = 'yes';
                observer.observe(section);
            }
        });
    }
    new MutationObserver(function (records) {
        records.forEach(function (record) { record.addedNodes.forEach(watch); });
    }).observe(document.documentElement, {childList: true, subtree: true});
})();
