/*
 * The focal point picker on a photo's admin page: clicking the picture sets
 * "focal point across" and "focal point down" (fractions from 0 to 1) and
 * moves the marker. The two number fields stay editable by keyboard, and the
 * marker follows them; without JavaScript they are the whole control.
 */
(function () {
    "use strict";

    function setUp(picker) {
        var image = picker.querySelector("img");
        var marker = picker.querySelector(".focal-picker-marker");
        var across = document.getElementById("id_focal_x");
        var down = document.getElementById("id_focal_y");
        if (!image || !marker || !across || !down) return;

        function place() {
            var x = Math.min(Math.max(parseFloat(across.value) || 0, 0), 1);
            var y = Math.min(Math.max(parseFloat(down.value) || 0, 0), 1);
            marker.style.left = x * 100 + "%";
            marker.style.top = y * 100 + "%";
        }

        image.addEventListener("click", function (event) {
            var box = image.getBoundingClientRect();
            across.value = ((event.clientX - box.left) / box.width).toFixed(3);
            down.value = ((event.clientY - box.top) / box.height).toFixed(3);
            place();
        });
        across.addEventListener("input", place);
        down.addEventListener("input", place);
        place();
    }

    // The admin loads form media in the page's head, before the form exists.
    document.addEventListener("DOMContentLoaded", function () {
        document.querySelectorAll("[data-focal-picker]").forEach(setUp);
    });
})();
