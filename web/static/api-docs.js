// Swagger UI for /docs (no inline script: the CSP allows scripts from this site only).
// Writes carry this session's CSRF token as the X-CSRF-Token header, as the API asks.
window.addEventListener("DOMContentLoaded", function () {
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.getAttribute("content") : "";
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    requestInterceptor: function (request) {
      if (request.method && request.method.toUpperCase() !== "GET" && token) {
        request.headers["X-CSRF-Token"] = token;
      }
      return request;
    },
  });
});
