// nn-basics: the switch between the twin tracks (PyTorch / TensorFlow) that
// lands on the same section, and the remembered track.
(function () {
  "use strict";

  var KEY = "nn-basics-track";
  var LESSON = /(\d\d_[a-z0-9_]+?)_(pytorch|tensorflow)\.html/;

  function remember(track) {
    try { window.localStorage.setItem(KEY, track); } catch (e) { /* private mode */ }
  }

  function remembered() {
    try { return window.localStorage.getItem(KEY); } catch (e) { return null; }
  }

  // The section the reader is in: the last heading of the outline that starts
  // above 30 % of the window's height (the first section before any heading).
  function currentSection(outline) {
    var limit = window.innerHeight * 0.3;
    var current = outline.length ? outline[0][0] : "";
    for (var i = 0; i < outline.length; i++) {
      var el = document.getElementById(outline[i][0]);
      if (el && el.getBoundingClientRect().top <= limit) current = outline[i][0];
    }
    return current;
  }

  // The twin's section for one of ours: the same id (the outlines match by
  // construction), else the nearest enclosing section the twin has, else the
  // one at the same place in the outline; the page's title means the top.
  function twinSection(lesson, id) {
    var outline = lesson.outline, twinIds = lesson.twinIds;
    var index = -1, parents = {};
    for (var i = 0; i < outline.length; i++) {
      parents[outline[i][0]] = outline[i][1];
      if (outline[i][0] === id) index = i;
    }
    if (index <= 0) return "";
    for (var s = id; s; s = parents[s]) {
      if (twinIds.indexOf(s) > 0) return s;
    }
    if (twinIds.length === outline.length) return twinIds[index];
    return "";
  }

  function twinHref(lesson) {
    var id = twinSection(lesson, currentSection(lesson.outline));
    return lesson.twinHref + (id ? "#" + id : "");
  }

  function setUpLesson(group) {
    var lesson = JSON.parse(group.getAttribute("data-nn-lesson"));
    remember(lesson.track);
    var links = document.querySelectorAll("a.nn-track-switch");
    var pending = false;
    function update() {
      pending = false;
      var href = twinHref(lesson);
      links.forEach(function (a) { a.setAttribute("href", href); });
    }
    window.addEventListener("scroll", function () {
      if (!pending) { pending = true; window.requestAnimationFrame(update); }
    }, { passive: true });
    links.forEach(function (a) {
      a.addEventListener("click", function (event) {
        if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) {
          return;  // a new tab: the href is kept up to date anyway
        }
        event.preventDefault();
        remember(lesson.twinTrack);
        window.location.href = twinHref(lesson);
      });
    });
    update();
  }

  // «Далее»/«Назад» (and any link marked data-nn-track-link) open the lesson
  // in the track the reader chose last.
  function followRememberedTrack() {
    var track = remembered();
    if (track !== "pytorch" && track !== "tensorflow") return;
    var links = document.querySelectorAll(
      ".prev-next-area a[href], a[data-nn-track-link][href]");
    links.forEach(function (a) {
      var href = a.getAttribute("href");
      var m = LESSON.exec(href);
      if (m && m[2] !== track) {
        a.setAttribute("href", href.replace(LESSON, m[1] + "_" + track + ".html"));
      }
    });
  }

  // Plots load and math is typeset after the browser has jumped to the
  // #section; jump again once the page has settled, unless the reader moved.
  function keepAnchorInView() {
    var moved = false;
    ["wheel", "touchmove", "keydown", "mousedown"].forEach(function (type) {
      window.addEventListener(type, function () { moved = true; }, { passive: true });
    });
    function settle() {
      if (moved || !window.location.hash) return;
      var el = document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
      if (el) el.scrollIntoView();
    }
    window.addEventListener("load", function () {
      settle();
      var mj = window.MathJax;
      if (mj && mj.startup && mj.startup.promise) mj.startup.promise.then(settle);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var group = document.querySelector("[data-nn-lesson]");
    if (group) setUpLesson(group);
    followRememberedTrack();
  });
  keepAnchorInView();
})();
