// GHARTS: Swagger UI over our own /openapi.json, with nothing fetched from elsewhere
// (validatorUrl: null turns off the online validator badge).
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
};
